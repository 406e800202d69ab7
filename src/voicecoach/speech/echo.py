"""Telling the coach's own voice from a person talking over it (double-talk detection).

The coach knows exactly what it played and when. From that it predicts, frame by frame, how
loud its own voice is at the microphone: the played level times a gain learned while it talks,
spread forward in time to cover the room's reverberation. A command heard while the coach was
talking is taken as the coach's echo unless enough of its frames are clearly above that level.
"""

from collections import deque
from collections.abc import Callable

import numpy as np

from voicecoach.speech.commands import normalize
from voicecoach.speech.outputs import FRAME_SECONDS, AudioOutput, Played, frame_powers
from voicecoach.speech.recognizer import SAMPLE_RATE, CommandEvent

QUIET = 1e-7  # frame power (full scale = 1) below which the coach counts as silent
REVERB_DECAY = 0.5 ** (FRAME_SECONDS / 0.05)  # the predicted echo halves every 50 ms
REVERB_SECONDS = 0.3  # how long after a line its echo is still predicted


class EchoGate:
    def __init__(
        self,
        played: Callable[[], list[Played]],
        margin_db: float = 3.0,
        min_share: float = 0.12,
        history_seconds: float = 30.0,
    ) -> None:
        self.played = played  # what the output played, on the microphone's clock
        self.margin = 10 ** (margin_db / 10)
        self.min_share = min_share  # of a command's frames that must stand out
        self._mic: deque[tuple[float, float]] = deque(maxlen=round(history_seconds / FRAME_SECONDS))
        self._ratios: deque[float] = deque(maxlen=500)  # mic / coach power while the coach talks

    @property
    def gain(self) -> float:
        """Power at the microphone per unit of power played (median while the coach talks)."""
        return float(np.median(self._ratios)) if len(self._ratios) >= 25 else 1.0

    def hear(self, block: np.ndarray, start: float) -> None:
        """Take a microphone block whose first sample was captured at time `start`."""
        recent = self._recent(start)
        for i, power in enumerate(frame_powers(block, SAMPLE_RATE)):
            t = start + i * FRAME_SECONDS
            self._mic.append((t, float(power)))
            coach = self._coach_power(recent, t, reverb=False)
            if coach > QUIET * 100 and power > 0:
                self._ratios.append(power / coach)

    def is_echo(self, start: float, end: float) -> bool:
        """Whether the speech heard from `start` to `end` is the coach's own voice."""
        recent = self._recent(start)
        frames = [(t, p) for t, p in self._mic if start <= t <= end]
        predicted = [self.gain * self._coach_power(recent, t, reverb=True) for t, _ in frames]
        if not frames or max(predicted) <= QUIET:
            return False  # the coach was silent: whatever was heard was someone else
        # Background noise (a radio) fills the coach's pauses too: only sound above both counts.
        floor = float(np.percentile([p for _, p in self._mic], 10))
        above = sum(
            1
            for (_, p), e in zip(frames, predicted, strict=True)
            if p > max(e, floor) * self.margin
        )
        return above / len(frames) < self.min_share

    def _recent(self, since: float) -> list[Played]:
        """Lines still playing (or ringing on) at `since` or later; the record is in time order."""
        recent = []
        for item in reversed(self.played()):
            if item.end + REVERB_SECONDS < since:
                break
            recent.append(item)
        return recent

    def _coach_power(self, items: list[Played], t: float, reverb: bool) -> float:
        best = 0.0
        for item in items:
            if not item.start <= t < item.end + (REVERB_SECONDS if reverb else 0):
                continue
            envelope = item.power
            if envelope is None or len(envelope) == 0:
                continue
            heard = envelope[: int((min(item.end, t + 1) - item.start) / FRAME_SECONDS) + 1]
            index = int((t - item.start) / FRAME_SECONDS)
            if reverb:
                best = max(best, _with_tail(heard, index))
            elif index < len(heard):
                best = max(best, float(heard[index]))
        return best


def _with_tail(envelope: np.ndarray, index: int) -> float:
    """Played power at frame `index`, or the decaying tail of a louder frame before it."""
    best = 0.0
    for back in range(-1, round(REVERB_SECONDS / FRAME_SECONDS)):  # -1: one frame of slack
        j = index - back
        if 0 <= j < len(envelope):
            best = max(best, float(envelope[j]) * REVERB_DECAY ** max(back, 0))
    return best


def phrase_in(phrase: str, text: str) -> bool:
    """Whether the words of `phrase` occur, in order and together, in `text`."""
    words, said = normalize(phrase).split(), normalize(text).split()
    return any(said[i : i + len(words)] == words for i in range(len(said) - len(words) + 1))


class EchoGuard:
    """Drops commands that are the coach's own voice coming back through the microphone.

    Two tests: the coach was saying those very words, or the sound heard is no louder than the
    coach's own voice predicts (EchoGate). A person talking over the coach passes both.
    """

    def __init__(self, output: AudioOutput, margin: float = 0.5) -> None:
        self.output = output
        self.margin = margin
        self.gate = EchoGate(output.played)

    def hear(self, block: np.ndarray, start: float) -> None:
        """Every microphone block, with the output-clock time of its first sample."""
        self.gate.hear(block, start)

    def is_echo(self, heard: CommandEvent, output_time: Callable[[float], float]) -> bool:
        """`output_time` maps seconds of microphone audio to the output's clock."""
        start, end = output_time(heard.start), output_time(heard.end)
        for t in (start, (start + end) / 2, end):
            playing = self.output.playing_at(t, self.margin)
            if playing and phrase_in(heard.text, playing):
                return True
        return self.gate.is_echo(start, end)
