"""Setting up a workout the same way for `run` and `serve`: history, progression, engine. (`demo`
shares the settings, not the history.)"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from voicecoach.coach.events import Event
from voicecoach.coach.session import Session, estimate_speech_seconds
from voicecoach.history import HistoryStore, first_run_notice, pain_advice, plan_progression
from voicecoach.routines import Library, Routine
from voicecoach.settings import Settings
from voicecoach.speech.commands import help_text


def open_history(settings: Settings) -> HistoryStore:
    return HistoryStore(settings.data_dir / "history.sqlite3" if settings.data_dir else None)


def as_run(library: Library, routine: Routine, settings: Settings) -> Routine:
    """`routine` as a workout runs it: with its warm-up and cool-down unless the setting is off."""
    return library.framed(routine) if settings.warm_up else routine


def build_session(
    library: Library,
    routine: Routine,
    settings: Settings,
    history: HistoryStore,
    speech_seconds: Callable[[str], float] = estimate_speech_seconds,
    opening: list[str] | None = None,
) -> Session:
    """A session with the safety lines and this session's progression said first."""
    notices = [
        line for line in (first_run_notice(history), pain_advice(history, routine.id)) if line
    ]
    progress: list[str] = []
    if settings.progression:
        routine, progress = plan_progression(library, routine, history)
    routine = as_run(library, routine, settings)  # after progression: warm-ups never step up
    return Session(
        library,
        routine,
        speech_seconds,
        tempo=settings.tempo,
        opening=[*(opening or []), *notices, *progress],
        help_text=help_text(),
    )


@contextmanager
def logged(
    history: HistoryStore, session: Session, show: Callable[[Event], None]
) -> Iterator[Callable[[Event], None]]:
    """An event sink that commits every event to the history, then shows it."""
    history.start_session(session.routine.id)

    def on_event(event: Event) -> None:
        history.record(event)
        show(event)

    yield on_event
