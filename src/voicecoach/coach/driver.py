"""The loop that runs a session: commands arrive in an inbox, time comes from a clock.

Text mode and live mode both use it; only the command source and the event sink differ.
"""

import heapq
import queue
from collections.abc import Callable
from dataclasses import dataclass, field

from voicecoach.coach.clock import Clock
from voicecoach.coach.commands import Command
from voicecoach.coach.events import Event
from voicecoach.coach.session import Session

INPUT_CLOSED = None  # put in the inbox when the command source has ended


@dataclass(order=True)
class Heard:
    command: Command = field(compare=False)
    text: str = field(default="", compare=False)
    at: float | None = None  # session time to apply it; None: as soon as it arrives
    announce: str | None = field(default=None, compare=False)  # said instead of the usual reply


class Driver:
    def __init__(self, session: Session, clock: Clock, on_event: Callable[[Event], None]) -> None:
        self.session = session
        self.clock = clock
        self.on_event = on_event
        self.inbox: queue.Queue[Heard | None] = queue.Queue()
        self._scheduled: list[tuple[float, int, Heard]] = []
        self._input_closed = False
        self._last = 0.0  # the latest time the session has been brought to

    def run(self) -> None:
        self._deliver(self.session.start(self.clock.now()))
        while not self.session.finished:
            heard = self._wait(self._deadline())
            now = self.clock.now()
            if heard is not None:
                # A timed command applies at its own time unless the session has moved past it.
                if heard.at is not None and heard.at >= self._last:
                    now = heard.at
                self._deliver(self.session.handle(heard.command, now, heard.text, heard.announce))
            elif self._input_closed and self.session.next_due() is None and not self._scheduled:
                # Paused with nobody left to say "resume": end rather than wait forever.
                self._deliver(self.session.handle(Command.END, now, "(input closed)"))
            else:
                events = self.session.advance(now)
                if (remind := self.session.reminder_due()) is not None and remind <= now:
                    events += self.session.remind(now)
                self._deliver(events)
            self._last = now

    def _deadline(self) -> float | None:
        due = (self.session.next_due(), self.session.reminder_due())
        times = [t for t in due if t is not None]
        if self._scheduled:
            times.append(self._scheduled[0][0])
        return min(times) if times else None

    def _wait(self, deadline: float | None) -> Heard | None:
        """The next command due by `deadline`, or None once the deadline has come."""
        while True:
            if self._scheduled and self._scheduled[0][0] <= self.clock.now():
                return heapq.heappop(self._scheduled)[2]
            if self._input_closed:
                if deadline is not None:
                    self.clock.sleep_until(deadline)
                return self._pop_due()
            try:
                item = self.clock.wait_for(self.inbox, deadline)
            except queue.Empty:
                return self._pop_due()
            if item is INPUT_CLOSED:
                self._input_closed = True
            elif item.at is not None and item.at > self.clock.now():
                heapq.heappush(self._scheduled, (item.at, id(item), item))
                deadline = self._deadline()
            else:
                return item

    def _pop_due(self) -> Heard | None:
        if self._scheduled and self._scheduled[0][0] <= self.clock.now():
            return heapq.heappop(self._scheduled)[2]
        return None

    def _deliver(self, events: list[Event]) -> None:
        for event in events:
            self.on_event(event)
