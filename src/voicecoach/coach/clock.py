"""Time for the session engine: the real clock live, a virtual one in tests."""

import queue
import time
from typing import Protocol, TypeVar

Item = TypeVar("Item")


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since an arbitrary origin."""
        ...

    def sleep_until(self, deadline: float) -> None: ...

    def wait_for(self, inbox: "queue.Queue[Item]", deadline: float | None) -> Item:
        """The next item from `inbox`, or queue.Empty once `deadline` has come."""
        ...


class RealClock:
    """Monotonic wall time, optionally running `speed` times faster."""

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self._origin: float | None = None

    def now(self) -> float:
        """Session seconds: the first reading is zero."""
        if self._origin is None:
            self._origin = time.monotonic()
        return (time.monotonic() - self._origin) * self.speed

    def sleep_until(self, deadline: float) -> None:
        # Sleep most of the gap, then spin briefly: time.sleep alone overshoots by a few ms.
        while (remaining := (deadline - self.now()) / self.speed) > 0:
            time.sleep(remaining - 0.002 if remaining > 0.004 else 0)

    def wait_for(self, inbox: "queue.Queue[Item]", deadline: float | None) -> Item:
        if deadline is None:
            return inbox.get()
        timeout = (deadline - self.now()) / self.speed
        if timeout <= 0:
            return inbox.get_nowait()
        return inbox.get(timeout=timeout)


class VirtualClock:
    """A clock that jumps straight to each deadline: a whole routine runs in milliseconds."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def sleep_until(self, deadline: float) -> None:
        self._now = max(self._now, deadline)

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def wait_for(self, inbox: "queue.Queue[Item]", deadline: float | None) -> Item:
        """Commands already in the inbox come first; otherwise time jumps to the deadline."""
        if deadline is None:
            return inbox.get()
        try:
            return inbox.get_nowait()
        except queue.Empty:
            self.sleep_until(deadline)
            raise
