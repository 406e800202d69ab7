"""The session engine on a virtual clock: every command in every state."""

import time
from itertools import pairwise

import pytest

from voicecoach.coach.commands import Command
from voicecoach.coach.events import (
    CommandHeard,
    ExerciseDone,
    Hush,
    PainReported,
    RoutineStarted,
    Say,
    SessionEnded,
    SetDone,
    State,
)
from voicecoach.coach.session import ASK_PAIN, NOT_PAUSED, PAUSED
from voicecoach.routines import load_library

from session_support import Run, mini_library

ACTIVE_STATES = [State.SPEAKING, State.COUNTING, State.HOLDING, State.RESTING]


@pytest.fixture(scope="module")
def library():
    return mini_library()


def run_to(library, state: State) -> Run:
    run = Run(library, "strong")
    if state == State.PAUSED:
        run.until_state(State.COUNTING)
        run.command(Command.PAUSE)
    else:  # inside the first exercise, not the routine's welcome
        run.until(lambda r: r.session.state == state and r.session.step.exercise_index is not None)
    assert run.session.state == state
    return run


def test_a_routine_runs_to_its_end(library):
    run = Run(library, "strong")
    run.finish()
    ended = run.of(SessionEnded)
    assert [e.reason for e in ended] == ["completed"]
    assert ended[0].exercises_done == ["bridge", "plank", "bird-dog"]
    sets = [(e.exercise, e.set, e.reps, e.completed) for e in run.of(SetDone)]
    assert sets == [
        ("bridge", 1, 3, True),
        ("bridge", 2, 3, True),
        ("plank", 1, 1, True),
        ("plank", 2, 1, True),
        ("bird-dog", 1, 2, True),
    ]


def test_counting_follows_the_tempo_and_holds_count_down(library):
    run = Run(library, "strong")
    run.finish()
    said = [(e.t, e.text) for e in run.of(Say)]
    texts = [text for _, text in said]
    assert "Set 1 of 2." in texts
    hold = texts.index("Hold.")
    assert texts[hold + 1 : hold + 7] == ["5.", "4.", "3.", "2.", "1.", "Down."]
    # bridge holds 12 s: from "Hold." to "Down." takes exactly 12 s of session time
    assert said[hold + 6][0] - said[hold][0] == pytest.approx(12.0)


def test_reps_without_a_hold_are_counted_one_tempo_apart(library):
    """The bridge as 1 set of 3 reps without a hold: "1.", "2.", "3." one tempo (3 s) apart."""
    strong = library.routines["strong"]
    bridge = strong.exercises[0]
    plain = bridge.model_copy(
        update={"dosage": bridge.dosage.model_copy(update={"sets": 1, "hold_seconds": 0})}
    )
    run = Run(library, strong.model_copy(update={"exercises": [plain]}))
    run.finish()
    said = [(e.t, e.text) for e in run.of(Say)]
    texts = [text for _, text in said]
    first = texts.index("1.")
    assert texts[first : first + 3] == ["1.", "2.", "3."]
    assert "Hold." not in texts
    times = [t for t, _ in said[first : first + 3]]
    assert [b - a for a, b in pairwise(times)] == pytest.approx([3.0, 3.0])
    assert [(e.reps, e.completed) for e in run.of(SetDone)] == [(3, True)]


def test_one_sided_sets_announce_the_switch():
    run = Run(mini_library(), "gentle-stretches")
    run.finish()
    texts = [e.text for e in run.of(Say)]
    assert any(text.startswith("Left side.") for text in texts)
    assert any(text.startswith("Switch sides. Right side.") for text in texts)
    assert [(e.side, e.completed) for e in run.of(SetDone)] == [("left", True), ("right", True)]


@pytest.mark.parametrize("state", [*ACTIVE_STATES, State.PAUSED])
@pytest.mark.parametrize("command", list(Command))
def test_every_command_in_every_state(library, state, command):
    run = run_to(library, state)
    step_before, events_before = run.session.step_index, len(run.events)
    new = run.command(command)
    assert isinstance(new[0], CommandHeard) and new[0].command == command
    check_effect(run, command, state, step_before, new)
    run.events = run.events[:events_before] + new
    if run.session.state == State.PAUSED:
        run.command(Command.RESUME)
    run.finish()  # whatever happened, the session can always run to an end
    assert len(run.of(SessionEnded)) == 1


# Where "previous" goes from each state inside the strong routine's first set (a rest: the set
# just done; the first exercise's introduction has nothing before it, so it starts again).
BACK_TO = {
    State.SPEAKING: "Exercise 1 of 3: Bridge.",
    State.COUNTING: "Exercise 1 of 3: Bridge.",
    State.HOLDING: "Exercise 1 of 3: Bridge.",
    State.RESTING: "Set 1 of 2.",
    State.PAUSED: "Exercise 1 of 3: Bridge.",
}


def check_effect(run: Run, command: Command, state: State, step_before: int, new: list) -> None:
    session, said = run.session, [e.text for e in new if isinstance(e, Say)]
    interrupts = command not in (Command.RESUME, Command.START) and not (
        command in (Command.PAUSE, Command.UNSURE_PAIN) and state == State.PAUSED
    )
    assert any(isinstance(e, Hush) for e in new) == interrupts
    match command:
        case Command.PAUSE:
            assert session.state == State.PAUSED and session.next_due() is None
        case Command.RESUME | Command.START:
            assert session.state != State.PAUSED
            assert said == (["Back to it."] if state == State.PAUSED else [NOT_PAUSED])
        case Command.NEXT:
            assert session.step_index == step_before + 1
        case Command.PREVIOUS:
            # back to the start of the step before, or of this one in a rest or the first step
            assert session.step.cues[0].text == BACK_TO[state]
            assert session.cue_index == 0  # from its first line
        case Command.REPEAT:
            assert session.step_index == step_before
        case Command.SKIP:
            assert [e.skipped for e in new if isinstance(e, ExerciseDone)] in ([True], [])
            assert session.step_index > step_before
        case Command.END:
            assert session.finished
            assert [e.reason for e in new if isinstance(e, SessionEnded)] == ["ended"]
        case Command.HELP:
            assert any(text.startswith("You can say") for text in said)
            assert (session.state == State.PAUSED) == (state == State.PAUSED)
        case Command.STATUS:
            assert said and "Bridge" in said[0]
        case Command.SLOWER:
            assert session.tempo == pytest.approx(0.8)
        case Command.FASTER:
            assert session.tempo == pytest.approx(1.25)
        case Command.UNSURE_PAIN:
            assert session.state == State.PAUSED and said == [ASK_PAIN]
            assert not [e for e in new if isinstance(e, PainReported)]
        case Command.PAIN:
            assert [e.state for e in new if isinstance(e, PainReported)] == [state]
            assert [e.routine for e in new if isinstance(e, RoutineStarted)] == ["gentle-stretches"]
            assert session.routine.id == "gentle-stretches" and not session.finished


def test_time_stops_while_paused(library):
    run = run_to(library, State.HOLDING)
    paused = run.now + 0.01
    run.command(Command.PAUSE)
    run.now += 600  # ten minutes on the floor
    assert run.session.advance(run.now) == []
    resumed = run.now + 0.01
    run.command(Command.RESUME)
    assert run.session.state == State.HOLDING
    # Nothing was said while paused but "Paused."; the interrupted hold starts again, in full,
    # after "Back to it."
    assert [e.text for e in run.of(Say) if paused <= e.t < resumed] == [PAUSED]
    run.until(lambda r: any(e.text == "Down." and e.t > resumed for e in r.of(Say)))
    after = [(e.t, e.text) for e in run.of(Say) if e.t >= resumed]
    assert [text for _, text in after[:2]] == ["Back to it.", "Hold."]
    down = next(t for t, text in after if text == "Down.")
    assert down - after[1][0] == pytest.approx(12.0)
    # and the ten minutes are not counted as work
    run.finish()
    first_set = run.of(SetDone)[0]
    assert first_set.completed and first_set.seconds < 120


def test_pain_twice_ends_with_advice_to_see_a_doctor(library):
    run = run_to(library, State.COUNTING)
    run.command(Command.PAIN)
    run.until_state(State.HOLDING)
    run.command(Command.PAIN)
    ended = run.of(SessionEnded)
    assert [e.reason for e in ended] == ["pain"]
    assert any("doctor" in e.text for e in run.of(Say))
    assert [e.routine for e in run.of(PainReported)] == ["strong", "gentle-stretches"]


def test_a_maybe_too_painful_stops_and_asks(library):
    """Heard too faintly to act on, "too painful" stops the count; the answer decides."""
    for answer, routine in [(Command.PAIN, "gentle-stretches"), (Command.RESUME, "strong")]:
        run = run_to(library, State.HOLDING)
        run.command(Command.UNSURE_PAIN)
        run.now += 30  # thinking it over: the hold does not run on
        assert run.session.state == State.PAUSED and run.session.next_due() is None
        run.command(answer)
        assert run.session.routine.id == routine
        assert len(run.of(PainReported)) == (answer == Command.PAIN)
        run.finish()
        assert [e.text for e in run.of(Say)].count(ASK_PAIN) == 1


def test_a_cut_short_set_is_recorded_as_such(library):
    run = run_to(library, State.HOLDING)
    run.command(Command.SKIP)
    cut = run.of(SetDone)[-1]
    assert (cut.exercise, cut.completed, cut.reps) == ("bridge", False, 0)
    assert run.of(ExerciseDone)[-1].skipped


def test_slower_stretches_the_count(library):
    def rep_gap(tempo_command: Command | None) -> float:
        run = run_to(library, State.COUNTING)
        if tempo_command:
            run.command(tempo_command)
        run.until(lambda r: len([e for e in r.of(Say) if e.text == "Hold."]) >= 3)
        holds = [e.t for e in run.of(Say) if e.text == "Hold."]
        return holds[2] - holds[1]

    assert rep_gap(Command.SLOWER) > rep_gap(None) > rep_gap(Command.FASTER)


def test_every_real_routine_runs_on_the_virtual_clock_in_under_a_second():
    library = load_library()
    for routine in library.routines:
        started = time.perf_counter()
        run = Run(library, routine)
        run.finish()
        took = time.perf_counter() - started
        assert run.of(SessionEnded)[0].reason == "completed"
        assert took < 1.0, f"{routine} took {took:.2f} s"
