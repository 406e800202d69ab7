"""Shared helpers for the history tests (no tests here): sessions built from real events."""

from pathlib import Path

from voicecoach.coach.commands import Command
from voicecoach.coach.events import (
    CommandHeard,
    ExerciseDone,
    PainReported,
    RoutineStarted,
    SessionEnded,
    SetDone,
    State,
)
from voicecoach.history.store import HistoryStore


def record_session(
    store: HistoryStore,
    routine: str,
    done: tuple[str, ...] = (),
    skipped: tuple[str, ...] = (),
    pain: tuple[str | None, ...] = (),
    end: str | None = "completed",
    seconds: float = 600.0,
) -> int:
    """One session through the store's public API, the way the engine would log it."""
    sid = store.start_session(routine)
    t = 0.0
    store.record(RoutineStarted(t, routine, routine.replace("-", " ")))
    for exercise in done:
        for n in (1, 2):
            t += 10
            store.record(SetDone(t, routine, exercise, n, None, 10, 30.0, True))
        store.record(ExerciseDone(t, routine, exercise, skipped=False))
    for exercise in skipped:
        t += 1
        store.record(CommandHeard(t, Command.SKIP, "skip"))
        store.record(ExerciseDone(t, routine, exercise, skipped=True))
    for exercise in pain:
        t += 1
        store.record(CommandHeard(t, Command.PAIN, "it hurts"))
        store.record(PainReported(t, routine, exercise, 1, State.COUNTING))
    if end is not None:
        store.record(SessionEnded(seconds, end, "summary", list(done), list(skipped)))
    store.end_session()
    return sid


def write_history_db(path: Path, sessions: int = 3) -> Path:
    with HistoryStore(path) as store:
        for i in range(sessions):
            record_session(
                store,
                "five-strengthening",
                done=("bridge", "draw-in"),
                pain=("bridge",) if i == 1 else (),
                seconds=300.0 + 60 * i,
            )
    return path
