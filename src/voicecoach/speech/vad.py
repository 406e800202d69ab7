"""Frame-level speech/non-speech decisions for the segmenter."""

from collections import deque
from dataclasses import dataclass

import numpy as np
from pocketsphinx import Vad

FRAME = 480  # 30 ms at 16 kHz: the frame size WebRTC's VAD (pocketsphinx.Vad) accepts
MIN_FLOOR_DB = 15.0  # dB re 1 LSB: digital silence must not make every click speech


@dataclass
class EnergyVad:
    """Speech when the frame's energy stands `margin_db` above a tracked noise floor.

    The floor falls at once to a quieter frame and rises slowly, so it follows a radio or a fan
    without climbing onto the speech itself.
    """

    margin_db: float = 9.0
    rise_db_per_s: float = 3.0
    floor_db: float = -200.0
    min_floor_db: float = MIN_FLOOR_DB

    def is_speech(self, frame: np.ndarray) -> bool:
        energy = frame_db(frame)
        if self.floor_db < -100:
            self.floor_db = energy
        self.floor_db = min(energy, self.floor_db + self.rise_db_per_s * FRAME / 16_000)
        return energy > max(self.floor_db, self.min_floor_db) + self.margin_db

    def reset(self) -> None:
        self.floor_db = -200.0


@dataclass
class BackgroundVad:
    """Speech when the frame stands `margin_db` above the room's recent typical sound.

    The floor is the median of the last `window` seconds of frame energies: music, a TV or other
    people talking, heard for seconds on end, become the floor a command must rise above (the
    nearer talker is louder), where EnergyVad's floor drops to the quietest moment between
    them. A command (a second or two) is too short to lift the median; in a quiet room the
    median is the quiet.

    Just after the microphone opens, a median of a few frames would be the command itself
    (serve opens it after each line, and people answer at once): the floor is capped at
    `headroom_db` over the first frame, a cap rising `rise_db_per_s`: a command said 0.1 s
    after the microphone opens is heard whole, and music 15 dB over the first frame is the
    floor within a second.
    """

    margin_db: float = 7.0
    window: float = 5.0
    rise_db_per_s: float = 6.0
    headroom_db: float = 10.0
    min_floor_db: float = MIN_FLOOR_DB

    def __post_init__(self) -> None:
        self.reset()

    def is_speech(self, frame: np.ndarray) -> bool:
        energy = frame_db(frame)
        if self._recent:
            self._cap += self.rise_db_per_s * FRAME / 16_000
        else:
            self._cap = energy + self.headroom_db
        self._recent.append(energy)
        floor = min(float(np.median(self._recent)), self._cap)
        return energy > max(floor, self.min_floor_db) + self.margin_db

    def reset(self) -> None:
        self._recent: deque[float] = deque(maxlen=round(self.window * 16_000 / FRAME))
        self._cap = 0.0


class WebrtcVad:
    """pocketsphinx's WebRTC-derived VAD, `mode` 0 (loose) .. 3 (aggressive)."""

    def __init__(self, mode: int = 2) -> None:
        self._mode = mode
        self._vad = Vad(mode=mode)

    def is_speech(self, frame: np.ndarray) -> bool:
        return bool(self._vad.is_speech(frame.astype(np.int16).tobytes()))

    def reset(self) -> None:
        self._vad = Vad(mode=self._mode)


class BothVad:
    """Speech only when both the energy test and WebRTC agree: WebRTC alone fires on pink noise."""

    def __init__(self, energy: EnergyVad, webrtc: WebrtcVad) -> None:
        self.energy, self.webrtc = energy, webrtc

    def is_speech(self, frame: np.ndarray) -> bool:
        return self.energy.is_speech(frame) and self.webrtc.is_speech(frame)

    def reset(self) -> None:
        self.energy.reset()
        self.webrtc.reset()


_BAND = slice(6, 121)  # FFT bins of a 480-sample frame covering 200-4000 Hz


def frame_db(frame: np.ndarray) -> float:
    """Energy of the speech band only: hum, rumble and brown noise live below 200 Hz."""
    spectrum = np.fft.rfft(frame.astype(np.float64))[_BAND]
    power = float(np.mean(np.square(np.abs(spectrum)))) / len(frame)
    return 10 * np.log10(power + 1e-3)


def make_vad(
    kind: str, margin_db: float = 9.0, webrtc_mode: int = 2
) -> EnergyVad | BackgroundVad | WebrtcVad | BothVad:
    if kind == "energy":
        return EnergyVad(margin_db=margin_db)
    if kind == "background":
        return BackgroundVad(margin_db=margin_db)
    if kind == "webrtc":
        return WebrtcVad(webrtc_mode)
    if kind == "both":
        return BothVad(EnergyVad(margin_db=margin_db), WebrtcVad(webrtc_mode))
    raise ValueError(f"unknown VAD {kind!r}")
