"""Speech out: to a sound device in the background, to a WAV file, or nowhere (tests).

Every output keeps a record of what it played when, so the listening side can tell the coach's
own voice coming back through the microphone from the user's.
"""

import bisect
import math
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np
import sounddevice as sd
import soxr

from voicecoach.audio import SAMPLE_RATE
from voicecoach.audio.devices import (
    STALL_SECONDS,
    Device,
    DeviceLost,
    check_device,
    open_stream,
)
from voicecoach.audio.wavio import resample, write_wav
from voicecoach.errors import UserError

CHIME = "(chime)"  # its text in what an output played
CHIME_RATE = 22_050


def chime(rate: int = CHIME_RATE, volume: float = 1.0) -> np.ndarray:
    """Two short rising tones: 'I heard you'."""
    tones = []
    for frequency in (880.0, 1320.0):
        t = np.arange(int(rate * 0.09)) / rate
        envelope = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)  # 10 ms fades, no clicks
        tones.append(np.sin(2 * np.pi * frequency * t) * envelope)
    return (np.concatenate(tones) * 0.4 * volume * 32767).astype(np.int16)


LEVEL_SECONDS = 0.02
LEVEL_FRAME = round(SAMPLE_RATE * LEVEL_SECONDS)  # samples of a level frame at SAMPLE_RATE


def frame_powers(pcm: np.ndarray, rate: int) -> np.ndarray:
    """Mean power of each 20 ms frame of int16-scaled audio, full scale = 1."""
    size = max(1, round(rate * LEVEL_SECONDS))
    samples = np.asarray(pcm, np.float64)[: len(pcm) // size * size] / 32768
    return (samples.reshape(-1, size) ** 2).mean(axis=1)


class Played(NamedTuple):
    text: str
    start: float  # on the output's clock; see each output
    end: float  # math.inf while still playing


class Levels(NamedTuple):
    """Played audio, 20 ms frame by frame: when each frame was heard, its power, its piece.

    A piece is audio that went to the device without a break; each piece may be out of step
    with its recorded times by its own amount (a stream starting late, an underflow).
    """

    times: np.ndarray
    powers: np.ndarray
    pieces: np.ndarray


class PlayedAudio(NamedTuple):
    """Played audio at 16 kHz, and the timeline each sample was played on (0 where none).

    A timeline is audio that went to the device without a break (one stream, no underrun): its
    samples keep their places against each other to the sample, while a new timeline may be
    placed milliseconds off, or under load most of a second.
    """

    samples: np.ndarray  # int16
    timelines: np.ndarray  # int


class AudioOutput(Protocol):
    def play(self, pcm: np.ndarray, rate: int, text: str = "", at: float | None = None) -> None:
        """Queue an utterance after any already queued. `at`: session seconds (file outputs)."""
        ...

    def stop(self, at: float | None = None) -> None:
        """Cut off the current utterance and drop the queued ones."""
        ...

    @property
    def busy(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool:
        """Block until everything queued has played; False on timeout."""
        ...

    def played(self) -> list[Played]: ...

    def playing_at(self, t: float, margin: float = 0.0) -> str | None:
        """The text being played at time t (widened by margin each side), or None."""
        ...

    def levels(self, start: float, end: float) -> Levels:
        """The frames played from `start` to `end`."""
        ...

    def played_audio(self, start: float, samples: int) -> PlayedAudio:
        """What was handed to the device from `start` on, `samples` long at 16 kHz (silence
        where nothing)."""
        ...

    def close(self) -> None: ...


class _Record:
    """What was played when, line by line and frame by frame: shared by the outputs.

    The frame levels are the echo guard's reference: they are logged as each block goes to the
    device, so a block that reached it late (an underrun) is placed where it was really heard.
    The audio (at 16 kHz) is the echo canceller's reference, logged when it was handed to the
    device: the canceller finds the delay to the microphone itself, and needs the reference
    before the echo.
    """

    def __init__(self, keep_seconds: float = 120.0, keep_audio_seconds: float = 10.0) -> None:
        self._items: list[Played] = []
        self._times: list[float] = []
        self._powers: list[float] = []
        self._pieces: list[int] = []
        self._piece_count = 0
        self._keep = round(keep_seconds / LEVEL_SECONDS)
        self._audio: deque[tuple[float, np.ndarray, int]] = deque()  # (start, 16 kHz, timeline)
        self._keep_audio = keep_audio_seconds
        self._lock = threading.Lock()

    def new_piece(self) -> int:
        with self._lock:
            self._piece_count += 1
            return self._piece_count

    def add_levels(self, piece: int, start: float, powers: np.ndarray, first: int = 0) -> None:
        """Frame powers of part of `piece`, whose first sample is heard at `start`; or, with
        `first`, frames `first` on of a piece heard from `start` (a piece fed in parts)."""
        with self._lock:
            if self._times and not first:  # kept in time order: a late one must not overlap
                start = max(start, self._times[-1] + LEVEL_SECONDS)
            frames = np.arange(first, first + len(powers))
            self._times.extend(start + LEVEL_SECONDS * frames)
            self._powers.extend(powers.tolist())
            self._pieces.extend([piece] * len(powers))
            if len(self._times) > 2 * self._keep:
                del self._times[: -self._keep], self._powers[: -self._keep]
                del self._pieces[: -self._keep]

    def add_audio(self, start: float, audio: np.ndarray, timeline: int = 1) -> None:
        """Audio at 16 kHz handed to the device at `start`, on `timeline` (see PlayedAudio)."""
        with self._lock:
            self._audio.append((start, audio, timeline))
            while self._audio[0][0] < start - self._keep_audio:
                self._audio.popleft()

    def forget_after(self, t: float) -> None:
        """Audio queued for later than `t` was dropped (cut off): it was never heard."""
        with self._lock:
            keep = bisect.bisect_right(self._times, t)
            del self._times[keep:], self._powers[keep:], self._pieces[keep:]
            while self._audio and self._audio[-1][0] > t:
                self._audio.pop()
            if self._audio:
                begun, audio, timeline = self._audio[-1]
                kept = audio[: max(0, round((t - begun) * SAMPLE_RATE))]
                self._audio[-1] = (begun, kept, timeline)

    def played_audio(self, start: float, samples: int) -> PlayedAudio:
        result = PlayedAudio(np.zeros(samples, np.int16), np.zeros(samples, int))
        with self._lock:
            chunks = list(self._audio)
        for begun, audio, timeline in chunks:
            offset = round((begun - start) * SAMPLE_RATE)
            first, last = max(offset, 0), min(offset + len(audio), samples)
            if first < last:
                result.samples[first:last] = audio[first - offset : last - offset]
                result.timelines[first:last] = timeline
        return result

    def levels(self, start: float, end: float) -> Levels:
        with self._lock:
            first = bisect.bisect_left(self._times, start)
            last = bisect.bisect_right(self._times, end)
            return Levels(
                np.array(self._times[first:last]),
                np.array(self._powers[first:last]),
                np.array(self._pieces[first:last], dtype=int),
            )

    def add(self, item: Played) -> int:
        with self._lock:
            self._items.append(item)
            return len(self._items) - 1

    def end(self, index: int, end: float) -> None:
        with self._lock:
            self._items[index] = self._items[index]._replace(end=end)

    def played(self) -> list[Played]:
        with self._lock:
            return list(self._items)

    def playing_at(self, t: float, margin: float = 0.0) -> str | None:
        for item in reversed(self.played()):
            if item.start - margin <= t <= item.end + margin:
                return item.text
        return None


class _Recorded:
    """An output's side of the record: what it played, read by the echo guard."""

    _record: _Record

    def played(self) -> list[Played]:
        return self._record.played()

    def playing_at(self, t: float, margin: float = 0.0) -> str | None:
        return self._record.playing_at(t, margin)

    def levels(self, start: float, end: float) -> Levels:
        return self._record.levels(start, end)

    def played_audio(self, start: float, samples: int) -> PlayedAudio:
        return self._record.played_audio(start, samples)


@dataclass
class _Utterance:
    pcm: np.ndarray  # float32 at the device rate
    text: str
    generation: int
    pcm_16k: np.ndarray  # int16: the same audio at the microphone's rate
    position: int = 0
    record_index: int = -1
    ends_at: float = math.inf  # time.monotonic() when its last sample will have been heard
    done: bool = False  # counted off the pending ones


@dataclass
class _Stream:
    """An open output stream, and the utterance it is playing (None: silence)."""

    current: _Utterance | None = None
    following: _Utterance | None = None  # played as soon as `current` is all written
    heard_at: float = math.nan  # time.monotonic() when the next block written will be heard
    delay: float = 0.0  # seconds from handing a block to the device to its being heard
    piece: int = 0  # of the output's levels record
    fed_at: float = 0.0  # time.monotonic() of the last callback (or of the stream's start)


class SoundDeviceOutput(_Recorded):
    """Speech through a sounddevice OutputStream, played in the background one utterance at a time.

    Lines that follow each other within `keep_open` seconds play on one stream, with silence
    between them: its timeline runs on unbroken, and the echo canceller needs its reference
    lined up with the echo to the sample (a new stream starts a few milliseconds off, and the
    sound server's clock drifts from the system's). stop() aborts the stream (PortAudio drops
    what is buffered), and after `keep_open` seconds of silence it is closed, so that devices
    can be refreshed.
    played() and levels() times are time.monotonic(): start when the first sample reaches the
    device's output, end when the last did (or when cut off).
    The stream buffers `latency` seconds: small enough to cut off at once, large enough that a
    busy CPU does not starve the device (every underrun puts the echo reference out of step).
    """

    def __init__(
        self,
        device: Device = None,
        block_seconds: float = LEVEL_SECONDS,
        stall_seconds: float = STALL_SECONDS,
        latency: float | str = "low",
        keep_open: float = 5.0,
    ) -> None:
        self.device = device
        self.keep_open = keep_open
        self.latency = latency
        self.stall_seconds = stall_seconds
        self.rate = int(sd.query_devices(check_device(device, "output"))["default_samplerate"])
        self.block_seconds = block_seconds
        self.error: UserError | None = None  # why the last utterance failed; None once one plays
        self._record = _Record()
        self._queue: queue.Queue[_Utterance | None] = queue.Queue()
        self._generation = 0
        self._pending = 0
        self._idle = threading.Condition()
        self._cut = threading.Event()
        self._thread = threading.Thread(target=self._run, name="voicecoach-output", daemon=True)
        self._thread.start()

    def __enter__(self) -> "SoundDeviceOutput":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def play(self, pcm: np.ndarray, rate: int, text: str = "", at: float | None = None) -> None:
        samples = np.asarray(pcm, np.float32) / 32768
        if rate != self.rate:
            samples = soxr.resample(samples, rate, self.rate).astype(np.float32)
        pcm_16k = resample(pcm, rate, SAMPLE_RATE)
        with self._idle:
            self._pending += 1
            self._queue.put(_Utterance(samples, text, self._generation, pcm_16k))

    def stop(self, at: float | None = None) -> None:
        with self._idle:
            self._generation += 1
            self._cut.set()
            self._idle.wait_for(lambda: self._pending == 0, timeout=1.0)

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def wait(self, timeout: float | None = None) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        self.stop()
        self._queue.put(None)
        self._thread.join(timeout=2.0)

    def _run(self) -> None:
        while (utterance := self._queue.get()) is not None:
            self._play_stream(utterance)

    def _play_stream(self, first: _Utterance) -> None:
        """Play `first`, then every utterance queued before the one playing ends or within
        `keep_open` seconds of it, on one stream; until stop() cuts in or the device fails."""
        stream = _Stream(fed_at=time.monotonic())
        settings = dict(
            samplerate=self.rate,
            channels=1,
            dtype="float32",
            latency=self.latency,
            blocksize=round(self.rate * self.block_seconds),
            callback=partial(self._callback, stream),
        )
        utterance: _Utterance | None = first
        try:
            with open_stream(sd.OutputStream, "output", self.device, **settings):
                while utterance is not None:
                    utterance = self._play_on(stream, utterance)
                    if utterance is None and not self._cut.is_set():
                        utterance = self._next(stream, timeout=self.keep_open)
        except UserError as error:
            self.error = error
            for left in (utterance, stream.current, stream.following):
                if left is not None and not left.done:  # done: counted once already
                    self._count_done(left)
            stream.current = stream.following = None

    def _play_on(self, stream: _Stream, utterance: _Utterance) -> _Utterance | None:
        """Play one utterance on the open stream and count it done however that ends. Once it
        is all written, the next one queued (if any) is handed to the stream to follow it
        without a gap, and returned."""
        following = None
        try:
            with self._idle:
                stale = utterance.generation != self._generation
                if not stale:
                    self._cut.clear()
            if not stale:
                if stream.current is not utterance and stream.following is not utterance:
                    stream.current = utterance
                self._wait(stream, utterance, heard=False)
                if not self._cut.is_set():
                    following = self._next(stream, timeout=0)
                self._wait(stream, utterance, heard=True)
                self.error = None
        finally:
            if stream.current is utterance:
                stream.current = None
            if self._cut.is_set() and following is not None:
                stream.following = None
                self._count_done(following)
                following = None
            # Cut off or lost: it ended now, not when it would have. Its levels stay: what was
            # already handed to the sound server may still be heard (PulseAudio plays it out).
            if utterance.record_index >= 0:
                self._record.end(utterance.record_index, min(utterance.ends_at, time.monotonic()))
            self._count_done(utterance)
        return following

    def _next(self, stream: _Stream, timeout: float) -> _Utterance | None:
        """The next utterance queued within `timeout` seconds, handed to the stream to follow
        the one playing; None if none comes (or close() does)."""
        while True:
            try:
                utterance = (
                    self._queue.get(timeout=timeout) if timeout else self._queue.get_nowait()
                )
            except queue.Empty:
                return None
            if utterance is None:
                self._queue.put(None)  # close(): _run ends on it
                return None
            with self._idle:
                stale = utterance.generation != self._generation
            if not stale:
                stream.following = utterance
                return utterance
            self._count_done(utterance)

    def _count_done(self, utterance: _Utterance) -> None:
        utterance.done = True
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def _callback(
        self, stream: _Stream, out: np.ndarray, frames: int, when: Any, status: Any
    ) -> None:
        # Silence fills the stream between lines and after the last until it is closed (aborted):
        # letting PortAudio drain instead (CallbackStop) takes seconds through ALSA's pulse plugin.
        # The device's timestamps jitter by tens of ms through PulseAudio: the blocks' times are
        # counted on from the first one, and the echo guard corrects each piece by its echo.
        stream.fed_at = time.monotonic()
        if math.isnan(stream.heard_at):
            stream.delay = max(0.0, when.outputBufferDacTime - when.currentTime)
            stream.heard_at = stream.fed_at + stream.delay
            stream.piece = self._record.new_piece()
        elif status.output_underflow:  # the device ran dry: what follows is late by some amount
            stream.piece = self._record.new_piece()
        chunk = self._next_chunk(stream, frames)
        out[: len(chunk), 0] = chunk
        out[len(chunk) :] = 0
        stream.heard_at += frames / self.rate

    def _next_chunk(self, stream: _Stream, frames: int) -> np.ndarray:
        """Up to `frames` samples of the utterance playing, logged in the record as heard."""
        utterance = stream.current
        if (utterance is None or utterance.ends_at < math.inf) and stream.following is not None:
            utterance = stream.current = stream.following
            stream.following = None
        if utterance is None or utterance.ends_at < math.inf:
            return np.zeros(0, np.float32)
        if utterance.record_index < 0:
            start = Played(utterance.text, stream.heard_at, math.inf)
            utterance.record_index = self._record.add(start)
        begun = utterance.position
        chunk = utterance.pcm[begun : begun + frames]
        utterance.position += len(chunk)
        if len(chunk):
            self._record.add_levels(
                stream.piece, stream.heard_at, frame_powers(chunk * 32768, self.rate)
            )
            to_16k = SAMPLE_RATE / self.rate
            pcm_16k = utterance.pcm_16k[round(begun * to_16k) : round(utterance.position * to_16k)]
            self._record.add_audio(stream.heard_at - stream.delay, pcm_16k, stream.piece)
        if len(chunk) < frames:
            utterance.ends_at = stream.heard_at + len(chunk) / self.rate
        return chunk

    def _wait(self, stream: _Stream, utterance: _Utterance, heard: bool) -> None:
        """Wait until the utterance's last sample has been written to the device (or, with
        `heard`, heard from it), or stop() cuts in."""
        while utterance.ends_at > time.monotonic() if heard else utterance.ends_at == math.inf:
            if self._cut.wait(0.01):
                return
            if time.monotonic() - stream.fed_at > self.stall_seconds:
                raise DeviceLost("the speaker stopped playing")


class _SessionTimeOutput(_Recorded):
    """Outputs that place lines at session times rather than play them: never busy."""

    _piece = 0  # of the levels record: the last utterance's

    @property
    def busy(self) -> bool:
        return False

    def wait(self, timeout: float | None = None) -> bool:
        return True

    def _add(self, text: str, start: float, pcm: np.ndarray, rate: int) -> int:
        self._piece = self._record.new_piece()
        self._record.add_levels(self._piece, start, frame_powers(pcm, rate))
        self._record.add_audio(start, resample(pcm, rate, SAMPLE_RATE))
        return self._record.add(Played(text, start, start + len(pcm) / rate))

    def _cut(self, index: int, at: float) -> None:
        self._record.end(index, at)
        self._record.forget_after(at)


class WavFileOutput(_SessionTimeOutput):
    """All speech in one WAV file at its session times, silence between (demos and tests).

    An utterance starts at `at` (session seconds) or when the one before ends, whichever is later;
    stop(at) cuts the current one off at that time. played() times are session seconds.
    The file is written by close().
    """

    def __init__(self, path: Path, rate: int = SAMPLE_RATE) -> None:
        self.path = Path(path)
        self.rate = rate
        self._audio = np.zeros(0, np.int16)
        self._record = _Record()
        self._last: int | None = None

    @property
    def audio(self) -> np.ndarray:
        """Everything played so far, as one int16 track at `rate`."""
        return self._audio

    def __enter__(self) -> "WavFileOutput":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def play(self, pcm: np.ndarray, rate: int, text: str = "", at: float | None = None) -> None:
        pcm = resample(pcm, rate, self.rate)
        start = max(len(self._audio), round((at or 0.0) * self.rate))
        self._audio = np.concatenate(
            [self._audio, np.zeros(start - len(self._audio), np.int16), pcm]
        )
        self._last = self._add(text, start / self.rate, pcm, self.rate)

    def stop(self, at: float | None = None) -> None:
        if at is None or self._last is None:
            return
        item = self._record.played()[self._last]
        if item.start <= at < item.end:
            self._audio = self._audio[: round(at * self.rate)]
            self._cut(self._last, at)

    def close(self) -> None:
        write_wav(self.path, self._audio, self.rate)


class SilentOutput(_SessionTimeOutput):
    """Plays nothing, records what would have been said (tests, text mode).

    Times are session seconds like WavFileOutput's; without `at` utterances follow each other.
    """

    def __init__(self) -> None:
        self._record = _Record()

    @property
    def texts(self) -> list[str]:
        return [item.text for item in self._record.played()]

    def play(self, pcm: np.ndarray, rate: int, text: str = "", at: float | None = None) -> None:
        items = self._record.played()
        start = max(at or 0.0, items[-1].end if items else 0.0)
        self._add(text, start, pcm, rate)

    def play_on(self, pcm: np.ndarray) -> None:
        """Carry the last utterance on with `pcm` (int16 at SAMPLE_RATE), as if it had been
        played in one piece: a long recording fed in parts, each of whole 20 ms frames but
        the last, keeps only a few seconds in memory."""
        items = self._record.played()
        if not items or items[-1].end == math.inf:
            raise ValueError("play_on carries on an utterance played before")
        index, (_, start, end) = len(items) - 1, items[-1]
        done = round((end - start) * SAMPLE_RATE)  # samples of it so far
        if done % LEVEL_FRAME:
            raise ValueError("only the last part of an utterance may end inside a frame")
        self._record.add_levels(
            self._piece, start, frame_powers(pcm, SAMPLE_RATE), first=done // LEVEL_FRAME
        )
        self._record.add_audio(start + done / SAMPLE_RATE, np.asarray(pcm, np.int16))
        self._record.end(index, start + (done + len(pcm)) / SAMPLE_RATE)

    def stop(self, at: float | None = None) -> None:
        items = self._record.played()
        if at is not None and items and items[-1].start <= at < items[-1].end:
            self._cut(len(items) - 1, at)

    def close(self) -> None:
        pass
