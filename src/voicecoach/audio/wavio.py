"""WAV files in and out, mixed to mono and resampled (soxr) to the rate asked for."""

import os
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soxr

from voicecoach.audio import SAMPLE_RATE
from voicecoach.errors import UserError
from voicecoach.files import MissingFile, open_regular

MAX_CHANNELS = 32
RATE_RANGE = (1_000, 384_000)  # Hz
BLOCK = SAMPLE_RATE // 10  # samples a block of wav_blocks, like the microphone's 100 ms
READ_BYTES = 1 << 20  # of the file's audio data read at a time


def read_wav(path: Path, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Any PCM WAV as int16 mono samples at `rate`; a file that is not one is one UserError."""
    return np.concatenate([np.zeros(0, np.int16), *wav_blocks(path, rate)])


def wav_blocks(path: Path, rate: int = SAMPLE_RATE, block: int = BLOCK) -> Iterator[np.ndarray]:
    """Any PCM WAV as int16 mono blocks of `block` samples at `rate` (the last one shorter),
    read, mixed and resampled a bounded piece at a time: memory stays flat whatever the length.
    The file is opened and its format checked at the call (a UserError then); a read error
    later is a UserError from the iteration."""
    try:
        file = open_regular(path, "the WAV file")
    except MissingFile:
        raise UserError(f"{path}: no such file") from None
    try:
        wav = wave.open(file, "rb")  # noqa: SIM115 (closed by _blocks, which reads it)
        width, channels, source_rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
        _check_format(path, width, channels, source_rate)
        _check_whole_frames(path, file, wav)
    except (wave.Error, EOFError, OSError) as error:
        file.close()
        raise UserError(f"{path}: not a readable WAV file ({error})") from None
    except BaseException:
        file.close()
        raise
    return _blocks(path, file, wav, rate, block)


def _check_whole_frames(path: Path, file: BinaryIO, wav: wave.Wave_read) -> None:
    """Refuse, before reading it, audio data that ends inside a frame: the data chunk as
    declared, or as much of it as the file holds (the file is at the data's start)."""
    size = wav.getsampwidth() * wav.getnchannels()
    held = os.fstat(file.fileno()).st_size - file.tell()
    if min(wav.getnframes() * size, held) % size:
        raise UserError(f"{path}: the audio data ends in the middle of a frame (cut short?)")


def _blocks(
    path: Path, file: BinaryIO, wav: wave.Wave_read, rate: int, block: int
) -> Iterator[np.ndarray]:
    width, channels, source_rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
    frames_per_read = max(1, READ_BYTES // (width * channels))
    stream = soxr.ResampleStream(source_rate, rate, 1, dtype="float64")
    pending = np.zeros(0, np.float64)  # resampled, short of a whole block
    try:
        with file, wav:
            while True:
                try:
                    frames = wav.readframes(frames_per_read)
                except (wave.Error, EOFError, OSError) as error:
                    raise UserError(f"{path}: not a readable WAV file ({error})") from None
                if len(frames) % (width * channels):  # the file changed since it was checked
                    raise UserError(
                        f"{path}: the audio data ends in the middle of a frame (cut short?)"
                    )
                samples = _to_float(frames, width).reshape(-1, channels).mean(axis=1)
                last = len(frames) == 0
                if source_rate != rate:
                    samples = stream.resample_chunk(samples, last=last)
                pending = np.concatenate([pending, samples])
                whole = len(pending) if last else len(pending) // block * block
                for start in range(0, whole, block):
                    yield to_int16(pending[start : start + block])
                pending = pending[whole:]
                if last:
                    return
    finally:
        file.close()


def _check_format(path: Path, width: int, channels: int, rate: int) -> None:
    if width not in (1, 2, 3, 4):
        raise UserError(f"{path}: unsupported WAV sample width of {width} bytes (1 to 4)")
    if not 1 <= channels <= MAX_CHANNELS:
        raise UserError(f"{path}: unsupported WAV with {channels} channels (1 to {MAX_CHANNELS})")
    low, high = RATE_RANGE
    if not low <= rate <= high:
        raise UserError(f"{path}: unsupported WAV sample rate of {rate} Hz ({low} to {high})")


def write_wav(path: Path, pcm: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.asarray(pcm, dtype=np.int16).tobytes())


def resample(pcm: np.ndarray, rate: int, to: int) -> np.ndarray:
    """Int16 samples at `rate` as int16 samples at `to`."""
    if rate == to:
        return np.asarray(pcm, np.int16)
    return to_int16(soxr.resample(np.asarray(pcm, np.float32) / 32768, rate, to))


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] to int16, clipped."""
    return (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)


def _to_float(frames: bytes, width: int) -> np.ndarray:
    if width == 1:
        return (np.frombuffer(frames, np.uint8).astype(np.float64) - 128) / 128
    if width == 2:
        return np.frombuffer(frames, "<i2").astype(np.float64) / 32768
    if width == 3:
        raw = np.frombuffer(frames, np.uint8).reshape(-1, 3)
        ints = raw[:, 0].astype(np.int32) | raw[:, 1] << 8 | raw[:, 2].astype(np.int8) << 16
        return ints.astype(np.float64) / 2**23
    if width == 4:
        return np.frombuffer(frames, "<i4").astype(np.float64) / 2**31
    raise wave.Error(f"unsupported sample width {width}")
