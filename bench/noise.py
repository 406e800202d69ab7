"""Acoustic conditions: coloured noise at a given SNR, and a reverberant room."""

from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve

from voicecoach.speech.noise_floor import coloured_noise

RATE = 16_000
FLOOR_SNR_DB = 50.0  # every condition has at least a microphone's self-noise: never digital zero


@dataclass(frozen=True)
class Condition:
    name: str
    colour: str = "white"  # "white", "pink" or "brown"
    snr_db: float = FLOOR_SNR_DB
    reverb_rt60: float = 0.0


CONDITIONS = (
    Condition("clean"),
    Condition("pink 20 dB", "pink", 20),
    Condition("pink 10 dB", "pink", 10),
    Condition("pink 5 dB", "pink", 5),
    Condition("pink 0 dB", "pink", 0),
    Condition("white 10 dB", "white", 10),
    Condition("brown 10 dB", "brown", 10),
    Condition("reverb 0.6 s + pink 20 dB", "pink", 20, 0.6),
)
QUICK_CONDITIONS = ("clean", "pink 10 dB", "pink 0 dB")


def apply(condition: Condition, speech: np.ndarray, speech_power: float, seed: int) -> np.ndarray:
    """Float speech (int16 scale) under `condition`; `speech_power` is its active-speech power."""
    rng = np.random.default_rng(seed)
    signal = speech.astype(np.float64)
    if condition.reverb_rt60 > 0:
        signal = fftconvolve(signal, room_impulse(condition.reverb_rt60, rng))[: len(signal)]
    noise = coloured_noise(condition.colour, len(signal), rng)
    gain = np.sqrt(speech_power / 10 ** (condition.snr_db / 10) / np.mean(noise**2))
    return np.clip(signal + gain * noise, -32768, 32767).astype(np.int16)


def room_impulse(rt60: float, rng: np.random.Generator) -> np.ndarray:
    """Exponentially decaying noise tail after a direct path: a crude but reverberant room."""
    n = int(rt60 * RATE)
    t = np.arange(n) / RATE
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    tail[: int(0.005 * RATE)] = 0
    impulse = 0.5 * tail / np.sqrt(np.sum(tail**2))
    impulse[0] = 1.0
    return impulse
