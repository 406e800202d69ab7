"""No lost lines: a command at any moment never drops a line that was due before it.

The engine is driven as a live driver may drive it: late, so a command can arrive after cues
have fallen due. A line counts as heard when no Hush cuts it before its end (a Hush stops the
line playing and drops the queued ones). Whatever the schedule of pause and resume, the lines
heard without commands come in the same order within the lines heard with them. With help and
status too, the same holds but for a hold's time markers ("Halfway.", "10 seconds left.", the
countdown) that fell due during the answer: the hold keeps its clock, so they are out of date.
"""

import itertools
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voicecoach.coach.commands import Command
from voicecoach.coach.events import Event, Hush, Say, SessionEnded, State, StateChanged
from voicecoach.coach.session import Session, planned_seconds
from voicecoach.routines import load_library

from session_support import mini_library

OPENING = ("A notice said before the workout.", "And the plan for today.")
PAUSE_RESUME = (Command.PAUSE, Command.RESUME)
ANSWERS = (Command.HELP, Command.STATUS)
ROUTINES = ("strong", "gentle-stretches")


@dataclass(frozen=True)
class Order:
    at: float  # session seconds the command is heard
    command: Command
    lag: float  # how late the driver's last tick was before the command


def play(library, routine_id: str, orders: list[Order]) -> list[Event]:
    """A whole session with `orders` applied; the driver ticks at most up to each order's lag."""
    session = Session(library, library.routines[routine_id], opening=OPENING)
    events = session.start(0.0)
    now = 0.0
    for order in sorted(orders, key=lambda o: o.at):
        now = max(now, order.at)
        while (due := session.next_due()) is not None and due <= now - order.lag:
            events += session.advance(due)
        events += session.handle(order.command, now, str(order.command))
    if session.paused_at is not None:
        events += session.handle(Command.RESUME, now + 1, "resume")
    while (due := session.next_due()) is not None:
        events += session.advance(due)
    return events


def heard(events: list[Event]) -> list[str]:
    """The lines no later Hush cut off before their end, but the closing summary (whose minutes
    count the pauses)."""
    summaries = {e.summary for e in events if isinstance(e, SessionEnded)}
    assert len(summaries) == 1
    lines = []
    for index, event in enumerate(events):
        if not isinstance(event, Say) or event.text in summaries:
            continue
        ends = event.t + event.duration
        if not any(isinstance(e, Hush) and e.t < ends for e in events[index + 1 :]):
            lines.append(event.text)
    return lines


def hold_markers(events: list[Event]) -> set[int]:
    """Indexes (among the Say events) of lines said in a hold after its opening line."""
    markers, state, previous = set(), None, None
    says = 0
    for event in events:
        if isinstance(event, StateChanged):
            state = event.state
        elif isinstance(event, Say):
            if state == State.HOLDING and previous == State.HOLDING:
                markers.add(says)
            previous, says = state, says + 1
    return markers


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    rest = iter(whole)
    return all(line in rest for line in part)


def orders(length: float, commands: tuple[Command, ...]) -> st.SearchStrategy[list[Order]]:
    order = st.builds(
        Order,
        at=st.floats(0, length, allow_nan=False),
        command=st.sampled_from(commands),
        lag=st.floats(0, 12, allow_nan=False),
    )
    return st.lists(order, max_size=8)


@pytest.fixture(scope="module")
def library():
    return mini_library()


@pytest.mark.parametrize("answers", [False, True], ids=["pause-resume", "with-help-status"])
@pytest.mark.parametrize("routine_id", ROUTINES)
def test_no_line_is_lost_to_any_command_schedule(library, routine_id, answers):
    events = play(library, routine_id, [])
    if answers:  # a hold's markers may be out of date after an answer: not required
        markers, says = hold_markers(events), itertools.count()
        events = [e for e in events if not (isinstance(e, Say) and next(says) in markers)]
    plain = heard(events)
    length = planned_seconds(library, library.routines[routine_id]) + 20
    commands = PAUSE_RESUME + ANSWERS if answers else PAUSE_RESUME

    @settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(orders(length, commands))
    def check(schedule: list[Order]) -> None:
        with_commands = heard(play(library, routine_id, schedule))
        assert is_subsequence(plain, with_commands)

    check()


def test_a_late_command_still_says_the_cues_due_before_it():
    """The issue's example: pause at 70 s with no tick since the start of the first set."""
    library = load_library()
    session = Session(library, library.routines["core-four"])
    events = session.start(0.0)
    while (due := session.next_due()) is not None and due < 63:
        events += session.advance(due)
    new = session.handle(Command.PAUSE, 70.0, "pause")
    said = [e.text for e in new if isinstance(e, Say) and e.t < 70.0]
    assert said, "the cues due between the last tick and the command were not said"
