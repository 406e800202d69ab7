"""SIGTERM and SIGHUP stop VoiceCoach the way Ctrl-C does: the stack unwinds, and the history
records how the session ended ("terminated", "hangup") instead of leaving it unfinished."""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

END_REASONS = {signal.SIGTERM: "terminated", signal.SIGHUP: "hangup"}


class Stopped(BaseException):
    """A signal asked the program to stop. A BaseException, like KeyboardInterrupt: nothing
    that catches Exception holds it up."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.reason = END_REASONS[signal.Signals(signum)]


def end_reason(error: BaseException | None) -> str:
    """How a session that `error` cut short ended, for the history."""
    return error.reason if isinstance(error, Stopped) else "interrupted"


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within: SIGTERM and SIGHUP raise Stopped in the main thread. The old handlers come back
    after (main() may run inside another program, such as the tests). Only the main thread may
    set handlers: from another, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _raise) for signum in END_REASONS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)
