"""Sound in and out through a real audio stack: a private PulseAudio server (the `room` fixture)."""

import time
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from voicecoach.audio import SAMPLE_RATE
from voicecoach.audio.devices import DeviceLost, check_device
from voicecoach.audio.microphone import Microphone
from voicecoach.audio.outputs import SilentOutput, SoundDeviceOutput, WavFileOutput
from voicecoach.audio.wavio import read_wav, write_wav
from voicecoach.cli import main
from voicecoach.errors import UserError
from voicecoach.voices.speakers import make_speaker

from audio_stack import PulseRoom, loud_span, rms

LINE = "Stop. That is too painful."
RATE = 44_100  # the room's rate


@pytest.fixture(scope="module")
def line() -> tuple[np.ndarray, int]:
    return make_speaker().render(LINE)


def tone(seconds: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 440 * t) * 10_000).astype(np.int16)


def best_match(heard: np.ndarray, said: np.ndarray) -> float:
    """Normalised cross-correlation of `said` at its best offset in `heard` (1.0: identical)."""
    heard, said = heard.astype(np.float64), said.astype(np.float64)
    size = len(heard) + len(said)
    spectrum = np.fft.rfft(heard, size) * np.conj(np.fft.rfft(said, size))
    scores = np.fft.irfft(spectrum, size)[: len(heard) - len(said) + 1]  # correlate, "valid"
    power = np.concatenate([[0.0], np.cumsum(heard**2)])
    energy = power[len(said) :] - power[: len(heard) - len(said) + 1]
    return float(np.max(scores / np.sqrt(energy * np.sum(said**2) + 1e-9)))


# Outputs without a device


def test_wav_file_output_puts_each_utterance_at_its_session_time(tmp_path: Path) -> None:
    path = tmp_path / "session.wav"
    with WavFileOutput(path) as out:
        out.play(tone(0.5, 16_000), 16_000, "first", at=1.0)
        out.play(tone(1.0, 22_050), 22_050, "second", at=1.2)  # queued after the first
        out.play(tone(2.0), RATE, "cut", at=3.0)
        out.stop(at=3.5)
    audio = read_wav(path)
    assert len(audio) == pytest.approx(3.5 * SAMPLE_RATE, abs=2)
    loud = [rms(audio[i : i + 160]) > 1000 for i in range(0, len(audio), 160)]  # 10 ms frames
    assert loud == [False] * 100 + [True] * 150 + [False] * 50 + [True] * 50
    assert [(p.text, p.start, p.end) for p in out.played()] == [
        ("first", 1.0, 1.5),
        ("second", 1.5, 2.5),
        ("cut", 3.0, 3.5),
    ]
    assert out.playing_at(2.0) == "second" and out.playing_at(2.7) is None


def test_silent_output_records_the_texts_and_times() -> None:
    out = SilentOutput()
    out.play(tone(1.0, 16_000), 16_000, "one", at=2.0)
    out.play(tone(1.0, 16_000), 16_000, "two")
    out.stop(at=3.25)
    assert out.texts == ["one", "two"]
    assert out.played()[1].start == 3.0 and out.played()[1].end == 3.25


# The real audio stack


@pytest.mark.audio
def test_devices_are_listed_and_a_missing_one_is_a_user_error(room: PulseRoom) -> None:
    assert check_device(None, "input") >= 0
    with pytest.raises(UserError, match=r"no input device 'nosuch'.*input devices: .*pulse"):
        check_device("nosuch", "input")
    with pytest.raises(UserError, match=r"output devices: .*default"):
        SoundDeviceOutput(99)
    with pytest.raises(UserError, match="input devices"):
        Microphone("nosuch")


@pytest.mark.audio
def test_speech_played_is_heard_in_the_room(room: PulseRoom, line: tuple[np.ndarray, int]) -> None:
    pcm, rate = line
    with SoundDeviceOutput() as out, room.recording() as heard:
        before = time.monotonic()
        out.play(pcm, rate, LINE)
        assert out.busy
        assert out.wait(timeout=10)
        took = time.monotonic() - before
    assert not out.busy and out.error is None
    (played,) = out.played()
    assert played.text == LINE
    # start/end come from PortAudio's DAC timing: close, but a loaded machine delays the first block
    assert played.end - played.start == pytest.approx(len(pcm) / rate, abs=0.2)
    assert took == pytest.approx(len(pcm) / rate, abs=0.3)
    assert out.playing_at((played.start + played.end) / 2) == LINE
    said = read_wav_pcm(pcm, rate)
    assert rms(heard[0]) > 0.5 * rms(said)
    assert best_match(heard[0], said) > 0.9


def read_wav_pcm(pcm: np.ndarray, rate: int) -> np.ndarray:
    """The rendered line at 16 kHz, as the recording has it."""
    import soxr

    from voicecoach.audio.wavio import to_int16

    return to_int16(soxr.resample(pcm.astype(np.float32) / 32768, rate, SAMPLE_RATE))


@pytest.mark.audio
def test_stop_cuts_playback_off_at_once(room: PulseRoom) -> None:
    with SoundDeviceOutput() as out, room.recording() as heard:
        out.play(tone(5.0), RATE, "long")
        out.play(tone(1.0), RATE, "queued")
        time.sleep(0.6)
        stop_at = time.monotonic()
        out.stop()
        stopped_in = time.monotonic() - stop_at
    (played,) = out.played()  # the queued one never started
    assert stopped_in < 0.05
    assert played.end - stop_at < 0.05
    # In the room: the tone lasted as long as it ran before stop(), give or take 50 ms.
    assert loud_span(heard[0], SAMPLE_RATE) == pytest.approx(stop_at - played.start, abs=0.05)


@pytest.mark.audio
def test_playing_resumes_after_stop(room: PulseRoom) -> None:
    with SoundDeviceOutput() as out:
        out.play(tone(2.0), RATE, "cut")
        time.sleep(0.2)
        out.stop()
        out.play(tone(0.3), RATE, "next")
        assert out.wait(timeout=5)
    assert [p.text for p in out.played()] == ["cut", "next"]


@pytest.mark.audio
def test_queued_lines_play_one_after_another(room: PulseRoom) -> None:
    with SoundDeviceOutput(stall_seconds=0.5) as out:  # shorter than the wait in the queue
        for text in ["first", "second", "third"]:
            out.play(tone(0.6), RATE, text)
        assert out.wait(timeout=5)
    assert out.error is None
    played = out.played()
    assert [p.text for p in played] == ["first", "second", "third"]
    assert all(0.55 < p.end - p.start < 0.65 for p in played)
    assert all(0 <= b.start - a.end < 0.05 for a, b in pairwise(played))
    # ... on one stream: one timeline, which the echo canceller can line up once for all three.
    span = round((played[-1].end - played[0].start) * SAMPLE_RATE)
    timelines = out.played_audio(played[0].start, span).timelines
    assert len(set(timelines[timelines > 0].tolist())) == 1


@pytest.mark.audio
@pytest.mark.parametrize("device_rate", [None, RATE], ids=["16k", "resampled-44k"])
def test_microphone_hears_what_is_played_in_the_room(
    room: PulseRoom, line: tuple[np.ndarray, int], tmp_path: Path, device_rate: int | None
) -> None:
    wav = tmp_path / "line.wav"
    write_wav(wav, *line)
    said = read_wav(wav)
    with Microphone(rate=device_rate) as mic:
        assert mic.rate == (device_rate or SAMPLE_RATE)
        player = room.play(wav, wait=False)
        blocks = []
        for block in mic:
            blocks.append(block)
            if sum(map(len, blocks)) > len(said) + SAMPLE_RATE // 2:
                break
        player.wait(timeout=10)
    heard = np.concatenate(blocks)
    assert all(block.dtype == np.int16 for block in blocks)
    assert rms(heard) > 0.5 * rms(said)
    assert best_match(heard, said) > 0.9
    assert mic.overflows == 0
    assert abs(mic.started_at - time.monotonic()) < 10


@pytest.mark.audio
def test_an_unplugged_microphone_is_reported_and_a_replugged_one_works(room: PulseRoom) -> None:
    with Microphone(stall_seconds=0.5) as mic:
        next(iter(mic))
        room.unplug_mic()
        with pytest.raises(DeviceLost):
            for _block in mic:
                pass
    room.plug_all()
    with Microphone() as mic:
        assert len(next(iter(mic))) > 0


@pytest.mark.audio
def test_cli_devices_and_say(room: PulseRoom, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices"]) == 0
    assert "default" in capsys.readouterr().out
    with room.recording() as heard:
        assert main(["say", "Stop. Too painful."]) == 0
    assert rms(heard[0]) > 300
    assert main(["say", "hello", "--output-device", "nosuch"]) == 2
    assert "output devices:" in capsys.readouterr().err


def test_cli_say_writes_a_wav(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "hello.wav"
    assert main(["say", "Hello, time to stretch.", "--out", str(out)]) == 0
    audio = read_wav(out)
    assert 0.8 < len(audio) / SAMPLE_RATE < 3.0 and rms(audio) > 500
    assert main(["say", "hello", "--voice", "espeak:nosuch", "--out", str(out)]) == 2
    assert "no espeak voice" in capsys.readouterr().err
