"""A noise floor under very clean speech, for PocketSphinx's acoustic model.

The model learned from recordings that always had some background noise. On very clean input (a
close microphone in a quiet room, synthetic speech) the pauses around a command are far quieter
than anything it learned, and it decodes worse: in the full benchmark, the decoder alone heard
66 of the 111 clean commands of its three hardest voices (espeak-ng f3, gb, Scottish f2), and 89
over this floor. Under real noise the floor is mostly there already and little is added.
"""

import numpy as np

from voicecoach.audio import SAMPLE_RATE
from voicecoach.speech.vad import FRAME  # the level is measured per segmenter frame (30 ms)

_LOOP = 4 * SAMPLE_RATE  # samples of pink noise made once and played in a loop


def coloured_noise(colour: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` samples of white, pink or brown noise with unit RMS."""
    exponent = {"white": 0.0, "pink": 0.5, "brown": 1.0}[colour]
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    spectrum *= 1 / np.maximum(freqs, 20.0) ** exponent
    noise = np.fft.irfft(spectrum, n)
    return noise / np.std(noise)


class NoiseFloor:
    """Fills the segment's floor with pink noise up to `depth_db` under its loudest frame so far.

    The floor already there is the segment's quietest frame so far: where noise suppression left
    a floor that high, nothing is added.
    """

    def __init__(self, depth_db: float, seed: int = 0) -> None:
        self.depth_db = depth_db
        self._pink = coloured_noise("pink", _LOOP, np.random.default_rng(seed))
        self._position = 0
        self._peak_power = 0.0
        self._quiet_power = float("inf")

    def start_segment(self) -> None:
        self._peak_power = 0.0
        self._quiet_power = float("inf")

    def add(self, pcm: np.ndarray) -> np.ndarray:
        """Int16 audio of the segment, in order, a whole number of frames at a time."""
        samples = np.asarray(pcm, np.int16).ravel().astype(np.float64)
        frames = samples[: len(samples) // FRAME * FRAME].reshape(-1, FRAME)
        if len(frames):
            powers = np.mean(frames**2, axis=1)
            self._peak_power = max(self._peak_power, float(np.max(powers)))
            self._quiet_power = min(self._quiet_power, float(np.min(powers)))
        target = self._peak_power * 10 ** (-self.depth_db / 10)
        gain = np.sqrt(max(target - self._quiet_power, 0.0))  # what noise is there counts
        noisy = samples + gain * self._next_noise(len(samples))
        return np.clip(np.round(noisy), -32768, 32767).astype(np.int16)

    def _next_noise(self, n: int) -> np.ndarray:
        indices = (self._position + np.arange(n)) % _LOOP
        self._position = (self._position + n) % _LOOP
        return self._pink[indices]
