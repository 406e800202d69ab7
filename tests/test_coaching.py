"""What the coach says when things go other than planned: endings, pain, and what counts."""

import re
from pathlib import Path

import pytest

from voicecoach.coach.clock import VirtualClock
from voicecoach.coach.commands import Command
from voicecoach.coach.driver import INPUT_CLOSED, Driver, Heard
from voicecoach.coach.events import ExerciseDone, PainReported, Say, SessionEnded, State
from voicecoach.coach.session import (
    DOCTOR,
    MOVES,
    NOT_PAUSED,
    PAUSED,
    PAUSED_REMINDER,
    STILL_PAUSED,
    Session,
)
from voicecoach.history.progression import plan_progression
from voicecoach.history.store import HistoryStore
from voicecoach.routines import load_library
from voicecoach.speech.commands import all_phrases

from session_support import Run, mini_library


@pytest.fixture(scope="module")
def library():
    return mini_library()


def said_after(run: Run, index: int) -> list[str]:
    return [e.text for e in run.events[index:] if isinstance(e, Say)]


def summary(run: Run) -> str:
    [ended] = run.of(SessionEnded)
    return ended.summary


def test_ending_before_any_work_gives_no_praise(library):
    run = Run(library, "strong")
    run.until(lambda r: r.now >= 5)
    run.command(Command.END)
    assert "Nice work" not in summary(run)
    assert "0 exercises" not in summary(run)
    assert "Nothing finished" in summary(run)


def test_skipping_the_only_exercise_gives_no_praise(library):
    run = Run(library, "gentle-stretches")
    run.until_state(State.HOLDING)
    run.command(Command.SKIP)
    run.finish()
    assert run.of(SessionEnded)[0].reason == "completed"
    assert "Nice work" not in summary(run)


def test_work_done_is_still_praised(library):
    run = Run(library, "strong")
    run.until(lambda r: bool(r.of(ExerciseDone)))
    run.command(Command.END)
    assert summary(run).startswith("We stop here. 1 exercise in about")
    assert summary(run).endswith("Nice work.")


def test_the_first_pain_report_advises_a_doctor(library):
    run = Run(library, "strong")
    run.until_state(State.COUNTING)
    start = len(run.events)
    run.command(Command.PAIN)
    assert DOCTOR in said_after(run, start)
    assert "doctor" in DOCTOR


def test_no_praise_after_the_second_pain_report(library):
    run = Run(library, "strong")
    run.until_state(State.COUNTING)
    run.command(Command.PAIN)
    run.until_state(State.HOLDING)
    start = len(run.events)
    run.command(Command.PAIN)
    lines = said_after(run, start)
    assert lines[-1] == summary(run)
    assert not any("work" in line.lower() for line in lines), lines


@pytest.mark.parametrize(
    "where",
    [
        "welcome",
        "instructions",
        "rest",
    ],
)
def test_pain_out_of_a_set_is_not_told_to_ease_out_of_a_position(library, where):
    run = Run(library, "strong")
    if where == "welcome":
        run.until(lambda r: r.now >= 0.5)
    elif where == "instructions":
        run.until(lambda r: r.session.step.exercise_index == 0)
    else:
        run.until_state(State.RESTING)
    start = len(run.events)
    run.command(Command.PAIN)
    lines = said_after(run, start)
    assert not any("Ease out of the position" in line for line in lines), lines
    assert any("breathe slowly" in line for line in lines)


def test_pain_in_a_set_is_told_to_ease_out_of_the_position(library):
    run = Run(library, "strong")
    run.until_state(State.HOLDING)
    start = len(run.events)
    run.command(Command.PAIN)
    assert any("Ease out of the position" in line for line in said_after(run, start))
    assert run.of(PainReported)[0].state == State.HOLDING


def plank_cut_short(library) -> Run:
    """home-bodyweight: every plank set ended by "next" 3 s into the hold, then "end"."""
    run = Run(library, "home-bodyweight")
    while not any(e.exercise == "plank" for e in run.of(ExerciseDone)):
        run.until(lambda r: r.session.state == State.HOLDING)
        if run.session.step.exercise_index == 1:
            run.command(Command.NEXT, after=3.0)
        else:
            run.step()
    run.command(Command.END)
    return run


def logged(store: HistoryStore, run: Run) -> None:
    store.start_session(run.session.routine.id)
    for event in run.events:
        store.record(event)
    store.end_session()


def test_only_completed_work_counts_toward_progression(tmp_path: Path):
    library = load_library()
    routine = library.routines["home-bodyweight"]
    cut = plank_cut_short(library)
    [plank] = [e for e in cut.of(ExerciseDone) if e.exercise == "plank"]
    assert not plank.skipped and not plank.completed
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        logged(store, cut)
        planned, lines = plan_progression(library, routine, store)
        assert not any("plank" in line for line in lines), lines
        assert planned.exercises[1].dosage.hold_seconds == 10
        whole = Run(library, "home-bodyweight")
        whole.finish()
        logged(store, whole)
        planned, lines = plan_progression(library, routine, store)
        assert any("plank went well" in line for line in lines), lines
        assert planned.exercises[1].dosage.hold_seconds == 15


def test_endings_and_pain_lines_do_not_sound_like_commands(library):
    """The microphone hears the coach too."""
    runs = []
    for routine, state, commands in [
        ("strong", State.SPEAKING, [Command.END]),
        ("strong", State.HOLDING, [Command.PAIN, Command.PAIN]),
        ("strong", State.RESTING, [Command.END]),
        ("gentle-stretches", State.HOLDING, [Command.SKIP]),
    ]:
        run = Run(library, routine)
        run.until_state(state)
        for command in commands:
            if not run.session.finished:
                run.command(command)
        run.finish()
        runs.append(run)
    phrases = set(all_phrases()) | {"next", "done", "pause", "skip", "repeat", "help", "wait"}
    for run in runs:
        for line in (e.text for e in run.of(Say)):
            text = " ".join(re.sub(r"[^a-z' ]+", " ", line.lower()).split())
            assert not [p for p in phrases if re.search(rf"\b{re.escape(p)}\b", text)], line


@pytest.mark.parametrize("command", MOVES)
def test_a_move_made_while_paused_says_where_the_session_now_is(library, command):
    run = Run(library, "strong")
    run.until(lambda r: r.session.state == State.COUNTING and r.session.step.set == 2)
    run.command(Command.PAUSE)
    start = len(run.events)
    run.command(command)
    lines = said_after(run, start)
    assert run.session.state == State.PAUSED
    assert lines and lines[-1].startswith("Now ") and lines[-1].endswith(STILL_PAUSED), lines
    assert run.session.position_text() in lines[-1]


def test_position_names_the_set_and_the_side():
    run = Run(mini_library(), "gentle-stretches")
    run.until_state(State.HOLDING)
    assert run.session.position_text() == "Now at Knee to chest, left side."


def test_a_second_pause_and_a_needless_resume_are_answered(library):
    run = Run(library, "strong")
    run.until_state(State.COUNTING)
    start = len(run.events)
    run.command(Command.RESUME)
    assert said_after(run, start) == [NOT_PAUSED]
    run.command(Command.PAUSE)
    start = len(run.events)
    run.command(Command.PAUSE)
    assert said_after(run, start) == [PAUSED]
    assert run.session.state == State.PAUSED


def hold_span(run: Run) -> float:
    said = run.of(Say)
    start = next(e.t for e in said if e.text == "Hold.")
    return next(e.t for e in said if e.text == "Relax." and e.t > start) - start


@pytest.mark.parametrize("command", [Command.STATUS, Command.HELP])
def test_status_and_help_keep_a_hold_on_its_clock(command):
    """The issue's plank: status after "Halfway." made a 30 s hold 37 s and said it twice."""
    library = load_library()
    plain = Run(library, "core-four")
    plain.until(lambda r: any(e.text == "Relax." for e in r.of(Say)))
    run = Run(library, "core-four")
    run.until(lambda r: any(e.text == "Halfway." for e in r.of(Say)))
    run.command(command, after=3.0)
    run.until(lambda r: any(e.text == "Relax." for e in r.of(Say)))
    assert hold_span(run) == pytest.approx(hold_span(plain))
    assert [e.text for e in run.of(Say)].count("Halfway.") == 1


def test_status_says_what_is_left():
    library = load_library()
    run = Run(library, "core-four")
    run.until(lambda r: any(e.text == "Halfway." for e in r.of(Say)))
    [answer] = [e.text for e in run.command(Command.STATUS, after=3.0) if isinstance(e, Say)]
    assert answer == (
        "Forearm plank. About 12 seconds left in this hold. 3 more exercises, next Bird dog. "
        "About 9 minutes to go."
    )
    asked_at = run.now
    run.until(lambda r: r.session.state == State.COUNTING and r.session.step.exercise_index == 2)
    run.until(lambda r: r.session.reps == 3)
    [answer] = [e.text for e in run.command(Command.STATUS) if isinstance(e, Say)]
    assert answer.startswith(
        "Bridge, set 1 of 2. 7 reps left in this set. Then 1 more set. 1 more exercise, next "
    )
    run.finish()  # the time to go was the time it took
    assert (run.of(SessionEnded)[-1].t - asked_at) / 60 == pytest.approx(9, abs=0.5)


def test_a_paused_session_reminds_how_to_go_on_every_minute(library):
    """Driven as text and live mode drive it: the demo sat paused 1.5 minutes in silence."""
    events: list = []
    session = Session(library, library.routines["strong"])
    driver = Driver(session, VirtualClock(), events.append)
    for at, command in [(30.0, Command.PAUSE), (175.0, Command.RESUME), (190.0, Command.END)]:
        driver.inbox.put(Heard(command, str(command), at))
    driver.inbox.put(INPUT_CLOSED)
    driver.run()
    said = [e for e in events if isinstance(e, Say)]
    reminders = [e.t for e in said if e.text == PAUSED_REMINDER]
    assert reminders == [pytest.approx(90.0), pytest.approx(150.0)]
    assert not [e for e in said if 30 < e.t < 175 and e.text not in (PAUSED_REMINDER,)]


def test_status_before_the_sets_says_how_many_are_to_do(library):
    run = Run(library, "strong")
    run.until(lambda r: r.session.step.exercise_index == 0)
    [answer] = [e.text for e in run.command(Command.STATUS) if isinstance(e, Say)]
    assert answer.startswith("Bridge. 2 sets to do. 2 more exercises, next Plank. About ")


def test_a_long_hold_reminds_of_form_only_where_it_fits():
    """A form reminder (the exercise's first caution) after "Halfway." in a long hold, only
    where it fits: it must never lengthen the hold."""
    from voicecoach.coach.script import estimate_speech_seconds, hold_cues

    short, long = (
        "Keep your hips level.",
        "Listen to your body and ease out of the stretch if anything feels sharp.",
    )
    for seconds in (30, 60):
        for reminder in (short, long):
            cues = hold_cues(seconds, reminder=reminder)
            lines = [c.text for c in cues]
            fits = reminder == short or seconds == 60
            assert (reminder in lines) == fits, (seconds, reminder)
            if fits:
                assert lines.index(reminder) == lines.index("Halfway.") + 1
            # no line outlasts its gap (the last one ends the hold), so the hold stays its length
            assert sum(c.gap for c in cues) == seconds
            assert all(estimate_speech_seconds(c.text) <= c.gap for c in cues[:-1])
