"""Acoustic conditions: coloured noise at a given SNR, a reverberant room, and a real room's
sounds (bench.room: music, TV speech, babble, clatter; a simulated room with the talker at 1 to
3 m)."""

from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve

from bench import room
from voicecoach.speech.pocketsphinx.noise_floor import coloured_noise

RATE = 16_000
FLOOR_SNR_DB = 50.0  # every condition has at least a microphone's self-noise: never digital zero


@dataclass(frozen=True)
class Condition:
    name: str
    colour: str = "white"  # "white", "pink" or "brown"
    snr_db: float = FLOOR_SNR_DB
    reverb_rt60: float = 0.0
    recorded: str = ""  # one of room.KINDS: that real sound instead of colour
    half: str = "report"  # which of room.HALVES plays: "tune" only with bench.recognition --tune
    distance_m: float = 0.0  # the talker's distance in room.room_impulse's room; 0: crude reverb

    @property
    def report_only(self) -> bool:
        """A real-room condition: reported by the benchmark, never fitted or tuned on."""
        return bool(self.recorded or self.distance_m)


REAL_ROOM = (
    *(Condition(f"{kind} {snr} dB", snr_db=snr, recorded=kind) for kind in room.KINDS
      for snr in (10, 5)),
    Condition("room 0.6 s, 1 m + pink 20 dB", "pink", 20, 0.6, distance_m=1.0),
    Condition("room 0.6 s, 2 m + pink 20 dB", "pink", 20, 0.6, distance_m=2.0),
    Condition("room 0.6 s, 3 m + pink 20 dB", "pink", 20, 0.6, distance_m=3.0),
)  # fmt: skip
CONDITIONS = (
    Condition("clean"),
    Condition("pink 20 dB", "pink", 20),
    Condition("pink 10 dB", "pink", 10),
    Condition("pink 5 dB", "pink", 5),
    Condition("pink 0 dB", "pink", 0),
    Condition("white 10 dB", "white", 10),
    Condition("brown 10 dB", "brown", 10),
    Condition("reverb 0.6 s + pink 20 dB", "pink", 20, 0.6),
    *REAL_ROOM,
)
QUICK_CONDITIONS = (
    "clean", "pink 10 dB", "pink 0 dB",
    *(c.name for c in REAL_ROOM if c.recorded), "room 0.6 s, 2 m + pink 20 dB",
)  # fmt: skip


def missing(condition: Condition) -> str | None:
    """Why `condition` cannot be made here (a package not installed), or None."""
    if condition.recorded:
        return room.missing(condition.recorded)
    return room.room_missing() if condition.distance_m else None


def apply(condition: Condition, speech: np.ndarray, speech_power: float, seed: int) -> np.ndarray:
    """Float speech (int16 scale) under `condition`; `speech_power` is its active-speech power."""
    rng = np.random.default_rng(seed)
    signal = speech.astype(np.float64)
    if condition.distance_m:
        impulse = room.room_impulse(condition.reverb_rt60, condition.distance_m)
        signal = fftconvolve(signal, impulse)[: len(signal)]
    elif condition.reverb_rt60 > 0:
        signal = fftconvolve(signal, room_impulse(condition.reverb_rt60, rng))[: len(signal)]
    noise = background(condition, len(signal), rng)
    gain = np.sqrt(speech_power / 10 ** (condition.snr_db / 10) / np.mean(noise**2))
    return np.clip(signal + gain * noise, -32768, 32767).astype(np.int16)


def background(condition: Condition, samples: int, rng: np.random.Generator) -> np.ndarray:
    """The condition's noise, at any level: a real room's recordings or coloured noise."""
    if condition.recorded:
        return room.bed(condition.recorded, condition.half, samples, rng)
    return coloured_noise(condition.colour, samples, rng)


def room_impulse(rt60: float, rng: np.random.Generator) -> np.ndarray:
    """Exponentially decaying noise tail after a direct path: a crude but reverberant room."""
    n = int(rt60 * RATE)
    t = np.arange(n) / RATE
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    tail[: int(0.005 * RATE)] = 0
    impulse = 0.5 * tail / np.sqrt(np.sum(tail**2))
    impulse[0] = 1.0
    return impulse
