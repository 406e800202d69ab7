"""WAV files in and out, mixed to mono and resampled (soxr) to the rate asked for."""

import wave
from pathlib import Path

import numpy as np
import soxr

from voicecoach.errors import UserError
from voicecoach.files import MissingFile, open_regular
from voicecoach.speech.recognizer import SAMPLE_RATE

MAX_CHANNELS = 32
RATE_RANGE = (1_000, 384_000)  # Hz


def read_wav(path: Path, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Any PCM WAV as int16 mono samples at `rate`; a file that is not one is one UserError."""
    try:
        with open_regular(path, "the WAV file") as file, wave.open(file, "rb") as wav:
            width, channels, source_rate = (
                wav.getsampwidth(),
                wav.getnchannels(),
                wav.getframerate(),
            )
            _check_format(path, width, channels, source_rate)
            frames = wav.readframes(wav.getnframes())
    except MissingFile:
        raise UserError(f"{path}: no such file") from None
    except (wave.Error, EOFError, OSError) as error:
        raise UserError(f"{path}: not a readable WAV file ({error})") from None
    if len(frames) % (width * channels):
        raise UserError(f"{path}: the audio data ends in the middle of a frame (cut short?)")
    samples = _to_float(frames, width).reshape(-1, channels).mean(axis=1)
    if source_rate != rate and len(samples):
        samples = soxr.resample(samples, source_rate, rate)
    return to_int16(samples)


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
