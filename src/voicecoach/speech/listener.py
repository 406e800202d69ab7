"""The listening chain, composed once: block in, commands out.

Microphone block -> echo canceller -> echo guard -> recogniser -> the filter of the coach's own
words. `run`, `serve`, `demo`, `listen` and the benchmark all hear through a `Listener`; they
differ only in where the blocks come from and what they do with a command.
"""

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from threading import Event

import numpy as np

from voicecoach.audio import SAMPLE_RATE
from voicecoach.audio.devices import refresh_devices
from voicecoach.audio.microphone import Microphone
from voicecoach.audio.outputs import AudioOutput
from voicecoach.errors import UserError
from voicecoach.speech.echo.cancel import make_canceller
from voicecoach.speech.echo.guard import EchoGuard
from voicecoach.speech.recognizer import CommandEvent, Recognizer

RETRY_SECONDS = 1.0  # between attempts to reopen a lost microphone


@dataclass(frozen=True)
class Judged:
    """A command the recogniser heard and whether the coach obeys it (else `why` not)."""

    event: CommandEvent
    obeyed: bool
    why: str = ""


Observer = Callable[[Judged], None]


def log_ignored(judged: Judged) -> None:
    if not judged.obeyed:
        print(f"voicecoach: ignored {judged.event.text!r}: {judged.why}", file=sys.stderr)


def _report_device(error: UserError | None) -> None:
    if error is None:
        print("voicecoach: audio device is back", file=sys.stderr)
    else:
        print(f"voicecoach: {error}; retrying", file=sys.stderr)


def _same(t: float) -> float:
    return t


class Listener:
    """Hears microphone blocks against what `output` played; observers see every verdict."""

    def __init__(
        self,
        recognizer: Recognizer,
        output: AudioOutput,
        echo_cancel: bool = False,
        observers: Iterable[Observer] = (),
    ) -> None:
        self.recognizer = recognizer
        self.cancel_echo = make_canceller(echo_cancel, output.played_audio)
        self.guard = EchoGuard(output)
        self.observers = list(observers)

    def use(self, recognizer: Recognizer) -> None:
        """Listen for another phrase table; the echo guard keeps the gain it learned. (`listen`
        resets the recogniser when it opens the microphone.)"""
        self.recognizer = recognizer

    def hear(
        self, block: np.ndarray, start: float, clock: Callable[[float], float] = _same
    ) -> list[CommandEvent]:
        """The commands to obey in `block`, captured at output time `start`; `clock` maps
        seconds of recognised audio to the output's clock."""
        block = self.cancel_echo(block, start)
        self.guard.hear(block, start)
        return self._judge(self.recognizer.feed(block), clock)

    def flush(self, clock: Callable[[float], float] = _same) -> list[CommandEvent]:
        """The commands still held by the recogniser at the end of the audio."""
        return self._judge(self.recognizer.flush(), clock)

    def listen(
        self,
        open_microphone: Callable[[], AbstractContextManager[Microphone]],
        stop: Event,
        on_device: Callable[[UserError | None], None] = _report_device,
    ) -> Iterator[list[CommandEvent]]:
        """What each microphone block gave (mostly nothing) until `stop` is set. A lost device
        is reported to `on_device` once, retried every RETRY_SECONDS (yielding nothing), and
        reported back with None."""
        lost = False
        while not stop.is_set():
            try:
                with open_microphone() as mic:
                    self.recognizer.reset()
                    if lost:
                        lost = False
                        on_device(None)
                    for block in mic:
                        if stop.is_set():
                            return
                        start = mic.monotonic_at((mic.samples - len(block)) / SAMPLE_RATE)
                        yield self.hear(block, start, mic.monotonic_at)
            except UserError as error:
                if not lost:
                    lost = True
                    on_device(error)
                stop.wait(RETRY_SECONDS)
                refresh_devices()
                yield []

    def _judge(
        self, events: list[CommandEvent], clock: Callable[[float], float]
    ) -> list[CommandEvent]:
        obeyed = []
        for event in events:
            echo = self.guard.is_echo(event, clock)
            judged = Judged(event, not echo, "the coach's own voice" if echo else "")
            for observer in self.observers:
                observer(judged)
            if judged.obeyed:
                obeyed.append(event)
        return obeyed
