"""Taking the coach's own voice out of the microphone's audio (acoustic echo cancellation).

The coach knows what it played (the output's record). WebRTC's echo canceller (AEC3, through the
audio processing module of the `livekit` wheel, built for x86-64 and ARM64 Linux) learns the
path from the speaker to the microphone and subtracts the coach's voice, so that a person
talking over the coach is heard on their own. Without it the segmenter sees one long mix of both
voices and rejects it as conversation: no barge-in. The echo guard still judges every command
afterwards, on the cancelled audio.

AEC3 finds an echo only up to about 0.45 s after its reference, and loses its grip when the
delay jumps by even a few samples (measured in the PulseAudio room). The output's record and the
microphone's times are each counted in samples from their own start, and disagree by some tens
of milliseconds, a different amount for each output stream. So the canceller measures the delay
itself, cross-correlating the microphone with the record, and hands AEC3 the reference lined up
to the sample.
"""

import sys
from collections import deque
from collections.abc import Callable
from functools import cache

import numpy as np

from voicecoach.audio import SAMPLE_RATE
from voicecoach.audio.outputs import PlayedAudio

AEC_FRAME = SAMPLE_RATE // 100  # the canceller works in 10 ms frames
WINDOW = round(0.75 * SAMPLE_RATE)  # samples of the microphone a delay is measured on
MIN_PLAYED = round(0.4 * SAMPLE_RATE)  # ... of which the coach must fill this many
RECHECK = SAMPLE_RATE // 2  # samples between measurements once every delay is known
WIDE_SEARCH = round(0.4 * SAMPLE_RATE)  # samples either way, until a timeline's echo is found ...
TRACK_SEARCH = round(0.05 * SAMPLE_RATE)  # ... then around its last delay found
LOST = 2  # measurements in a row that miss a known echo before it is looked for widely again
MIN_FIT = 0.5  # normalised correlation that shows the echo (a person talking lowers it)
LEAD = 480  # samples (30 ms) the reference goes in ahead of its echo: AEC3 needs it first


class EchoCanceller:
    """Microphone blocks in, the same blocks with the coach's voice cancelled out."""

    def __init__(self, played: Callable[[float, int], PlayedAudio]) -> None:
        from livekit.rtc import AudioProcessingModule

        self.played = played  # (start, samples) -> what the output played then, at 16 kHz
        self.delays: dict[int, int] = {}  # timeline -> samples from the record to the echo
        self.delay: int | None = None  # the last one found: a new timeline is looked for near it
        self._misses: dict[int, int] = {}  # timeline -> measurements in a row that missed it
        self._module = AudioProcessingModule(echo_cancellation=True, high_pass_filter=True)
        self._rest = np.zeros(0, np.int16)  # the part of a block short of a whole frame
        self._heard: deque[np.ndarray] = deque()  # the last WINDOW samples, as they came
        self._heard_end = 0.0  # time of the sample after the last one heard
        self._unchecked = 0  # samples since the last measurement

    def process(self, block: np.ndarray, start: float) -> np.ndarray:
        """The cancelled audio of `block`, whose first sample was captured at `start` (on the
        output's clock), less any last part short of a 10 ms frame, which leads the next.
        The audio as it came while the coach plays on a timeline whose echo is not found yet:
        cancelling against a misplaced reference garbles a person's words."""
        block = np.asarray(block, np.int16).ravel()
        self._remember(block, start)
        start -= len(self._rest) / SAMPLE_RATE
        samples = np.concatenate([self._rest, block])
        whole = len(samples) // AEC_FRAME * AEC_FRAME
        samples, self._rest = samples[:whole], samples[whole:]
        reference = self._reference(start, whole)
        return samples if reference is None else self._cancel(samples, reference)

    def _reference(self, start: float, samples: int) -> np.ndarray | None:
        """What the coach played, lined up with its echo in these samples; None while a
        timeline it may echo from has no delay found."""
        if self.delay is None:
            return None
        reach = self.delay + TRACK_SEARCH
        near = self.played(start - reach / SAMPLE_RATE, samples + 2 * TRACK_SEARCH).timelines
        timelines = set(np.unique(near[near > 0]).tolist())
        if not timelines <= self.delays.keys():
            return None
        reference = np.zeros(samples, np.int16)
        for timeline in timelines:
            played = self.played(start - (self.delays[timeline] - LEAD) / SAMPLE_RATE, samples)
            own = played.timelines == timeline
            reference[own] = played.samples[own]
        return reference

    def _cancel(self, samples: np.ndarray, reference: np.ndarray) -> np.ndarray:
        from livekit.rtc import AudioFrame

        cancelled = []
        for i in range(0, len(samples), AEC_FRAME):
            self._module.process_reverse_stream(_frame(reference[i : i + AEC_FRAME], AudioFrame))
            frame = _frame(samples[i : i + AEC_FRAME], AudioFrame)
            self._module.process_stream(frame)  # in place
            cancelled.append(np.frombuffer(frame.data, np.int16))
        return np.concatenate(cancelled) if cancelled else np.zeros(0, np.int16)

    def _remember(self, block: np.ndarray, start: float) -> None:
        if abs(start - self._heard_end) > 1 / SAMPLE_RATE:
            self._heard.clear()  # a gap (a device reopened): not one stretch of sound
        self._heard.append(block)
        self._heard_end = start + len(block) / SAMPLE_RATE
        while sum(map(len, self._heard)) - len(self._heard[0]) >= WINDOW:
            self._heard.popleft()
        self._unchecked += len(block)
        timelines = self._window_timelines()
        new = [timeline for timeline in timelines.tolist() if timeline not in self.delays]
        if new or self._unchecked >= RECHECK:
            self._unchecked = 0
            if len(timelines):
                self._measure(max(new) if new else int(timelines.max()))

    def _window_timelines(self) -> np.ndarray:
        """The timelines the coach played on that may echo in the last WINDOW samples heard."""
        centre = self.delay or 0
        search = TRACK_SEARCH if self.delay is not None else WIDE_SEARCH
        start = self._heard_end - WINDOW / SAMPLE_RATE - (centre + search) / SAMPLE_RATE
        near = self.played(start, WINDOW + 2 * search).timelines
        return np.unique(near[near > 0])

    def _measure(self, timeline: int) -> None:
        """Find the delay from the record of `timeline` to its echo in the last WINDOW samples
        heard. Each output stream has its own delay, tens of milliseconds apart and more
        under load (CI found 1.5 s streams 50 ms to 0.8 s apart), so a new timeline, and one
        whose echo was missed LOST times in a row, is looked for widely."""
        heard = np.concatenate(self._heard)[-WINDOW:].astype(np.float64)
        if len(heard) < WINDOW:
            return
        centre = self.delays.get(timeline, self.delay or 0)
        tracked = timeline in self.delays and self._misses.get(timeline, 0) < LOST
        search = TRACK_SEARCH if tracked else WIDE_SEARCH
        first, last = centre - search, centre + search  # delays tried
        start = self._heard_end - WINDOW / SAMPLE_RATE
        played = self.played(start - last / SAMPLE_RATE, WINDOW + last - first)
        reference = np.where(played.timelines == timeline, played.samples, 0).astype(np.float64)
        if np.count_nonzero(reference[last - centre :][:WINDOW]) < MIN_PLAYED:
            return  # the coach was mostly silent: nothing to measure on
        fit = _correlation(heard, reference)  # fit[j]: heard against reference[j : j + WINDOW]
        best = int(np.argmax(np.abs(fit)))  # a sound card may turn the signal over
        if abs(fit[best]) < MIN_FIT:
            if timeline in self.delays:
                self._misses[timeline] = self._misses.get(timeline, 0) + 1
            return
        self.delays[timeline] = self.delay = last - best
        self._misses[timeline] = 0
        for old in sorted(self.delays)[:-20]:
            del self.delays[old]
            self._misses.pop(old, None)


def _correlation(heard: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Normalised correlation of `heard` with each stretch of `reference` as long as it."""
    size = 1 << (len(reference) + len(heard)).bit_length()
    spectrum = np.fft.rfft(reference, size) * np.conj(np.fft.rfft(heard, size))
    raw = np.fft.irfft(spectrum, size)[: len(reference) - len(heard) + 1]
    energy = np.concatenate([[0.0], np.cumsum(reference**2)])
    window = energy[len(heard) :] - energy[: len(energy) - len(heard)]
    return raw / np.sqrt(np.maximum(window, 1e-9) * np.sum(heard**2) + 1e-9)


def _frame(samples: np.ndarray, audio_frame: type) -> object:
    return audio_frame(samples.tobytes(), SAMPLE_RATE, 1, AEC_FRAME)


@cache
def available() -> bool:
    """Whether the echo canceller can be loaded here (its wheel exists for 64-bit Linux)."""
    try:
        from livekit.rtc import AudioProcessingModule

        AudioProcessingModule(echo_cancellation=True)
    except Exception as error:  # missing wheel, or a library the platform lacks
        print(f"voicecoach: no echo cancellation (livekit: {error})", file=sys.stderr)
        return False
    return True


def make_canceller(
    enabled: bool, played: Callable[[float, int], PlayedAudio]
) -> Callable[[np.ndarray, float], np.ndarray]:
    """What the microphone's blocks go through before recognition: the canceller, or nothing."""
    if enabled and available():
        return EchoCanceller(played).process
    return lambda block, start: block
