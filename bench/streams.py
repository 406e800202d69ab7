"""Long streams of utterances separated by silence, with the truth of where each one lies."""

from dataclasses import dataclass

import numpy as np

RATE = 16_000
LEVEL_DBFS = -26.0  # active speech level; each utterance varies +-4 dB around it


@dataclass(frozen=True)
class Placed:
    text: str
    voice: str
    start: float  # seconds
    end: float


@dataclass(frozen=True)
class Stream:
    name: str
    audio: np.ndarray  # int16, clean
    placed: tuple[Placed, ...]
    speech_power: float  # mean power of the utterances, for SNR


def build(
    name: str,
    clips: list[tuple[str, str, np.ndarray]],
    seed: int,
    gap: tuple[float, float] = (1.5, 4.0),
    level: bool = True,
) -> Stream:
    """Place (text, voice, pcm) clips in order with random gaps; optionally level them."""
    rng = np.random.default_rng(seed)
    parts, placed, powers = [np.zeros(int(RATE * 1.0))], [], []
    cursor = len(parts[0])
    for text, voice, pcm in clips:
        clip = pcm.astype(np.float64)
        if level:
            clip *= _gain(clip, LEVEL_DBFS + rng.uniform(-4, 4))
        placed.append(Placed(text, voice, cursor / RATE, (cursor + len(clip)) / RATE))
        powers.append(np.mean(clip**2))
        silence = np.zeros(int(RATE * rng.uniform(*gap)))
        parts += [clip, silence]
        cursor += len(clip) + len(silence)
    audio = np.clip(np.concatenate(parts), -32768, 32767).astype(np.int16)
    return Stream(name, audio, tuple(placed), float(np.mean(powers)) if powers else 1.0)


def _gain(clip: np.ndarray, dbfs: float) -> float:
    rms = np.sqrt(np.mean(clip**2)) + 1e-9
    return 32768 * 10 ** (dbfs / 20) / rms
