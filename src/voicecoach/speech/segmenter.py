"""Cut a continuous 16 kHz stream into speech segments, the unit a command is decoded from."""

from collections import deque
from dataclasses import dataclass

import numpy as np

from voicecoach.speech.vad import FRAME, make_vad


@dataclass(frozen=True)
class SegmenterConfig:
    # "background" (above the room's recent median: hears a command over music, a TV or other
    # people talking), "energy" (above the quietest moment), "webrtc" or "both"
    vad: str = "background"
    margin_db: float = 7.0  # dB above the floor that counts as speech
    webrtc_mode: int = 2
    start_window: int = 6  # frames (30 ms) looked at to decide speech has started ...
    start_needed: int = 4  # ... and how many of them must be speech
    hangover: float = 0.30  # seconds of non-speech that end a segment: adds to latency
    preroll: float = 0.25  # seconds kept before the detected start (weak first consonants)
    min_speech: float = 0.15  # shorter segments are clicks and breaths
    max_speech: float = 2.5  # longer segments are conversation, never a command


@dataclass(frozen=True)
class Segment:
    start: int  # sample index (since the stream began) of audio[0]
    speech_start: int
    speech_end: int  # first sample after the last speech frame
    emitted: int  # samples consumed when the segment was closed
    audio: np.ndarray  # empty when too_long
    too_long: bool = False


class Segmenter:
    def __init__(self, config: SegmenterConfig | None = None) -> None:
        self.config = config or SegmenterConfig()
        self._vad = make_vad(self.config.vad, self.config.margin_db, self.config.webrtc_mode)
        self.reset()

    def reset(self) -> None:
        self._vad.reset()
        self._pending = np.zeros(0, np.int16)
        self._consumed = 0  # samples framed so far
        preroll_frames = max(1, round(self.config.preroll * 16_000 / FRAME))
        self._history: deque[tuple[np.ndarray, bool]] = deque(
            maxlen=preroll_frames + self.config.start_window
        )
        self._new: list[np.ndarray] = []  # audio of the open segment not yet taken
        self._frames: list[np.ndarray] | None = None  # frames of the open segment
        self._start = self._speech_start = self._last_speech = 0
        self._silence = 0

    def feed(self, pcm: np.ndarray) -> list[Segment]:
        self._pending = np.concatenate([self._pending, np.asarray(pcm, np.int16).ravel()])
        segments = []
        n = len(self._pending) // FRAME
        for i in range(n):
            segment = self._frame(self._pending[i * FRAME : (i + 1) * FRAME])
            if segment is not None:
                segments.append(segment)
        self._pending = self._pending[n * FRAME :]
        return segments

    def take_new(self) -> np.ndarray:
        """Audio added to the open (or just closed) segment since the last call: a decoder can
        work through a segment while it is spoken, so little is left to do when it ends."""
        new, self._new = self._new, []
        return np.concatenate(new) if new else np.zeros(0, np.int16)

    def open_segment(self) -> Segment | None:
        """The segment in progress as it would close now, or None when none is open."""
        if self._frames is None or self._too_long():
            return None
        audio = np.concatenate(self._frames)
        return Segment(self._start, self._speech_start, self._last_speech, self._consumed, audio)

    @property
    def quiet(self) -> float:
        """Seconds of non-speech since the open segment's last speech (0 when none is open)."""
        return self._silence * FRAME / 16_000 if self._frames is not None else 0.0

    def flush(self) -> list[Segment]:
        if self._frames is None:
            return []
        segment = self._close()
        return [segment] if segment is not None else []

    def _frame(self, frame: np.ndarray) -> Segment | None:
        speech = self._vad.is_speech(frame)
        self._consumed += FRAME
        if self._frames is None:
            self._history.append((frame, speech))
            self._maybe_open()
            return None
        if speech:
            self._silence = 0
            self._last_speech = self._consumed
        else:
            self._silence += 1
        if self._frames is not None and not self._too_long():
            self._frames.append(frame)
            self._new.append(frame)
        if self._silence * FRAME >= self.config.hangover * 16_000:
            return self._close()
        return None

    def _maybe_open(self) -> None:
        recent = [speech for _, speech in self._history][-self.config.start_window :]
        if len(recent) < self.config.start_window or sum(recent) < self.config.start_needed:
            return
        first = len(self._history) - self.config.start_window + recent.index(True)
        self._frames = [frame for frame, _ in self._history]
        self._new = list(self._frames)
        self._start = self._consumed - len(self._history) * FRAME
        self._speech_start = self._start + first * FRAME
        self._last_speech = self._consumed
        self._silence = 0
        self._history.clear()

    def _too_long(self) -> bool:
        return self._consumed - self._speech_start > self.config.max_speech * 16_000

    def _close(self) -> Segment | None:
        frames, self._frames = self._frames or [], None
        speech = self._last_speech - self._speech_start
        if speech < self.config.min_speech * 16_000:
            return None
        too_long = speech > self.config.max_speech * 16_000
        audio = np.zeros(0, np.int16) if too_long else np.concatenate(frames)
        return Segment(
            self._start,
            self._speech_start,
            self._last_speech,
            self._consumed,
            audio,
            too_long,
        )
