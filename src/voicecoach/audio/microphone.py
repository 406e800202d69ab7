"""The microphone: int16 mono blocks at 16 kHz from any input device."""

import contextlib
import math
import queue
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import sounddevice as sd
import soxr

from voicecoach.audio import SAMPLE_RATE
from voicecoach.audio.devices import (
    FIRST_BLOCK_SECONDS,
    STALL_SECONDS,
    Device,
    DeviceLost,
    check_device,
    device_rate,
    open_stream,
)
from voicecoach.audio.wavio import to_int16


class Microphone:
    """int16 mono blocks at 16 kHz from an input device, resampled when the device runs otherwise.

    with Microphone() as mic:
        for block in mic: ...

    Blocks the consumer does not take in time are dropped and counted (`overflows`), never fatal.
    Iteration ends when close() is called (from any thread) and raises DeviceLost when the device
    stops sending audio. `rate` forces the device rate (tests use it to exercise resampling).
    """

    def __init__(
        self,
        device: Device = None,
        block_seconds: float = 0.1,
        rate: int | None = None,
        stall_seconds: float = STALL_SECONDS,
        queue_seconds: float = 10.0,
    ) -> None:
        self.device = device
        self.rate = rate or device_rate(check_device(device, "input"), "input", SAMPLE_RATE)
        self.block_seconds = block_seconds
        self.stall_seconds = stall_seconds
        self.overflows = 0  # blocks lost: device overruns plus blocks the consumer left too long
        self.dropped_seconds = 0.0
        self.samples = 0  # 16 kHz samples handed out so far
        self.started_at = math.nan  # time.monotonic() when the first sample was captured
        self._blocks: queue.Queue[np.ndarray | None] = queue.Queue(
            round(queue_seconds / block_seconds)
        )
        self._resampler = soxr.ResampleStream(self.rate, SAMPLE_RATE, 1, dtype="float32")
        self._context: contextlib.ExitStack | None = None

    def __enter__(self) -> "Microphone":
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        settings = dict(
            samplerate=self.rate,
            channels=1,
            dtype="float32",
            blocksize=round(self.rate * self.block_seconds),
            callback=self._callback,
        )
        context = contextlib.ExitStack()
        context.enter_context(open_stream(sd.InputStream, "input", self.device, **settings))
        self._context = context

    def close(self) -> None:
        if self._context is not None:
            self._context.close()
            self._context = None
        with contextlib.suppress(queue.Full):
            self._blocks.put_nowait(None)  # wakes a consumer blocked in read()

    def monotonic_at(self, audio_seconds: float) -> float:
        """time.monotonic() when the sample `audio_seconds` into the stream was captured."""
        return self.started_at + audio_seconds + self.dropped_seconds

    def _callback(self, indata: np.ndarray, frames: int, when: Any, status: Any) -> None:
        if math.isnan(self.started_at):
            self.started_at = time.monotonic() - max(
                0.0, when.currentTime - when.inputBufferAdcTime
            )
        if status.input_overflow:
            self.overflows += 1
        try:
            self._blocks.put_nowait(indata[:, 0].copy())
        except queue.Full:
            self.overflows += 1
            self.dropped_seconds += frames / self.rate

    def read(self) -> np.ndarray | None:
        """The next block (empty while the resampler fills up), or None once closed."""
        if self._context is None:
            return None
        waited = FIRST_BLOCK_SECONDS if math.isnan(self.started_at) else self.stall_seconds
        try:
            block = self._blocks.get(timeout=waited)
        except queue.Empty:
            raise DeviceLost(f"no sound from the microphone for {waited} s") from None
        if block is None:
            return None
        if self.rate != SAMPLE_RATE:
            block = self._resampler.resample_chunk(block)
        self.samples += len(block)
        return to_int16(block)

    def __iter__(self) -> Iterator[np.ndarray]:
        while (block := self.read()) is not None:
            if len(block):
                yield block
