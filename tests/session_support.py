"""Driving a Session on a virtual clock, for tests."""

from collections.abc import Callable
from pathlib import Path

from voicecoach.coach.commands import Command
from voicecoach.coach.events import Event, State
from voicecoach.coach.session import Session
from voicecoach.routines import Library, Routine, load_library

MINI = Path(__file__).parent / "data" / "mini"


def mini_library() -> Library:
    return load_library(MINI)


class Run:
    """A session plus everything it has emitted; time moves only when asked."""

    def __init__(self, library: Library, routine: str | Routine) -> None:
        if isinstance(routine, str):
            routine = library.routines[routine]
        self.session = Session(library, routine)
        self.now = 0.0
        self.events: list[Event] = list(self.session.start(0.0))

    def step(self) -> bool:
        """Move to the next due time; False when there is none (paused or finished)."""
        due = self.session.next_due()
        if due is None:
            return False
        self.now = max(self.now, due)
        self.events += self.session.advance(self.now)
        return True

    def until(self, condition: Callable[["Run"], bool], limit: int = 100_000) -> None:
        for _ in range(limit):
            if condition(self):
                return
            if not self.step():
                break
        assert condition(self), "condition never held"

    def until_state(self, state: State) -> None:
        self.until(lambda run: run.session.state == state)

    def command(self, command: Command, after: float = 0.01) -> list[Event]:
        self.now += after
        new = self.session.handle(command, self.now, str(command))
        self.events += new
        return new

    def finish(self) -> None:
        self.until(lambda run: run.session.finished)

    def of(self, kind: type[Event]) -> list:
        return [e for e in self.events if isinstance(e, kind)]
