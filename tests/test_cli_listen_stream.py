"""`voicecoach listen --wav` reads its files in blocks (issue 32): memory stays flat whatever the
length, a file at another rate or with more channels is resampled block by block to what its
16 kHz mono version gives, and a bad file is still refused in one line before anything is heard.

The CLI runs as a real subprocess; its peak memory is read by a fresh Python wrapper around it
(`getrusage(RUSAGE_CHILDREN)`: the largest child it waited for, which is only the CLI).
"""

import json
import os
import subprocess
import sys
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soxr

from voicecoach.audio import SAMPLE_RATE, wavio
from voicecoach.audio.outputs import SilentOutput
from voicecoach.audio.wavio import read_wav, wav_blocks, write_wav

REPO = Path(__file__).resolve().parents[1]
PEAK_RSS = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024\n"
    "print(f'peak-rss-mb {peak}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)
MAX_RSS_MB = 300
HOUR = 3600


def listen(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`voicecoach listen ARGS --json` with PocketSphinx alone, its peak RSS as the last line of
    stderr ("peak-rss-mb N"); config and data kept in tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICECOACH_")}
    env |= {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")])),
        "VOICECOACH_CONFIG": str(tmp_path / "none.yaml"),
        "VOICECOACH_DATA_DIR": str(tmp_path / "data"),
    }
    command = [sys.executable, "-m", "voicecoach", "listen", *args, "--json",
               "--engine", "pocketsphinx", "--no-second-opinion"]  # fmt: skip
    return subprocess.run(
        [sys.executable, "-c", PEAK_RSS, *command],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip


def peak_mb(done: subprocess.CompletedProcess[str]) -> int:
    name, value = done.stderr.splitlines()[-1].split()
    assert name == "peak-rss-mb"
    return int(value)


def heard(done: subprocess.CompletedProcess[str]) -> list[tuple[str, float]]:
    assert done.returncode == 0, done.stderr[-2000:]
    events = [json.loads(line) for line in done.stdout.splitlines()]
    return [(event["command"], event["start"]) for event in events]


def write_long_wav(path: Path, seconds: int, said: dict[float, np.ndarray]) -> None:
    """A 16 kHz mono WAV of digital silence with `said` (start seconds -> int16 audio) in it,
    written a minute at a time."""
    minute = 60 * SAMPLE_RATE
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        for begin in range(0, seconds * SAMPLE_RATE, minute):
            chunk = np.zeros(minute, np.int16)
            for at, pcm in said.items():
                offset = round(at * SAMPLE_RATE) - begin
                if 0 <= offset < minute:
                    chunk[offset : offset + len(pcm)] = pcm[: minute - offset]
            wav.writeframes(chunk.tobytes())


def assert_heard(done: subprocess.CompletedProcess[str], expected: list[tuple[str, float]]):
    got = heard(done)
    assert [command for command, _ in got] == [command for command, _ in expected], got
    for (_, start), (_, at) in zip(got, expected, strict=True):
        assert at <= start <= at + 1.0, got


@pytest.fixture(scope="module")
def said(spoken: Callable[[str], Path]) -> dict[str, np.ndarray]:
    return {phrase: read_wav(spoken(phrase)) for phrase in ("next", "pause", "too painful")}


def test_an_hour_long_recording_is_heard_in_flat_memory(tmp_path: Path, said) -> None:
    """One hour at 16 kHz (115 MB of samples) peaked at 1.27 GB RSS when the file was held in
    memory; read in blocks it stays under 300 MB. The hour is digital silence but for three
    commands, so that PocketSphinx gets through it in well under a minute on 2 cores: the
    reading, the blocks and the listening chain are the same as for a real recording."""
    wav = tmp_path / "hour.wav"
    times = {"next": 60.0, "pause": 1800.0, "too painful": HOUR - 60.0}
    write_long_wav(wav, HOUR, {times[phrase]: pcm for phrase, pcm in said.items()})
    done = listen(tmp_path, "--wav", str(wav))
    assert_heard(done, [("next", 60.0), ("pause", 1800.0), ("pain", HOUR - 60.0)])
    assert peak_mb(done) < MAX_RSS_MB


def test_an_hour_long_played_file_is_read_only_as_far_as_the_recording(
    tmp_path: Path, said
) -> None:
    """--played, what the speaker played alongside the recording, was read whole too (an hour:
    over 1 GB). It is now fed to the echo guard a few seconds ahead of the recording: with a
    minute's recording, only about a minute of it is read. (Both an hour long, measured by
    hand: 202 MB; too slow for the test suite with the echo guard judging every block.)"""
    played = tmp_path / "played.wav"
    write_long_wav(played, HOUR, {10.0: said["pause"]})  # the coach says "pause" at 10 s
    mic = tmp_path / "mic.wav"
    write_long_wav(mic, 60, {30.0: said["next"]})  # the person, "next" at 30 s
    done = listen(tmp_path, "--wav", str(mic), "--played", str(played))
    assert_heard(done, [("next", 30.0)])
    assert peak_mb(done) < MAX_RSS_MB


def test_a_44k_stereo_file_is_heard_as_its_16k_mono_version(tmp_path: Path, said) -> None:
    """The same commands at the same times from 44.1 kHz stereo (left the voice, right half of
    it) as from 16 kHz mono; the file spans several reads, so the resampler runs in blocks."""
    mono = np.zeros(40 * SAMPLE_RATE, np.int16)
    for at, phrase in ((5.0, "next"), (17.0, "too painful"), (31.0, "pause")):
        pcm = said[phrase]
        mono[round(at * SAMPLE_RATE) : round(at * SAMPLE_RATE) + len(pcm)] = pcm
    write_wav(tmp_path / "mono.wav", mono)
    voice = soxr.resample(mono.astype(np.float64), SAMPLE_RATE, 44_100)
    stereo = np.stack([voice, voice / 2], axis=1)  # mixed to mono: 3/4 of the level
    write_stereo(tmp_path / "stereo.wav", np.clip(stereo, -32768, 32767).astype(np.int16))
    assert (tmp_path / "stereo.wav").stat().st_size > 5 * wavio.READ_BYTES
    from_mono = heard(listen(tmp_path, "--wav", str(tmp_path / "mono.wav")))
    from_stereo = heard(listen(tmp_path, "--wav", str(tmp_path / "stereo.wav")))
    assert [command for command, _ in from_mono] == ["next", "pain", "pause"]
    assert [command for command, _ in from_stereo] == ["next", "pain", "pause"]
    for (_, mono_start), (_, stereo_start) in zip(from_mono, from_stereo, strict=True):
        assert abs(mono_start - stereo_start) <= 0.1


def write_stereo(path: Path, pcm: np.ndarray, rate: int = 44_100) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())


@pytest.mark.parametrize("read_bytes", [7, 4000, wavio.READ_BYTES])
def test_blocks_resampled_in_pieces_are_the_file_resampled_at_once(
    tmp_path: Path, read_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read in pieces of any size (an odd one cuts frames across reads), the blocks put together
    are, sample for sample, the whole file mixed and resampled in one go."""
    rng = np.random.default_rng(3)
    pcm = (rng.normal(0, 3000, (22_050 * 3 + 17, 2))).astype(np.int16)
    write_stereo(tmp_path / "noise.wav", pcm, 22_050)
    monkeypatch.setattr(wavio, "READ_BYTES", read_bytes)
    blocks = list(wav_blocks(tmp_path / "noise.wav"))
    assert {len(block) for block in blocks[:-1]} == {wavio.BLOCK}
    at_once = soxr.resample((pcm.astype(np.float64) / 32768).mean(axis=1), 22_050, SAMPLE_RATE)
    assert np.array_equal(np.concatenate(blocks), wavio.to_int16(at_once))


def test_a_long_file_cut_inside_a_frame_is_refused_before_anything_is_heard(
    tmp_path: Path, said
) -> None:
    """The cut is at the end, after a command: it is found from the header and the file's size
    before the audio is read, so nothing is printed but the one line."""
    wav = tmp_path / "cut.wav"
    write_long_wav(wav, 120, {5.0: said["next"]})
    with open(wav, "r+b") as file:
        file.truncate(wav.stat().st_size - 1)
    done = listen(tmp_path, "--wav", str(wav))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines()[-2] == (
        f"voicecoach: {wav}: the audio data ends in the middle of a frame (cut short?)"
    )


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"not a wav at all", "not a readable WAV file"), (None, "no such file")],
)
def test_a_bad_played_file_is_one_line(
    tmp_path: Path, content: bytes | None, fragment: str
) -> None:
    mic = tmp_path / "mic.wav"
    write_wav(mic, np.zeros(SAMPLE_RATE, np.int16))
    played = tmp_path / "played.wav"
    if content is not None:
        played.write_bytes(content)
    done = listen(tmp_path, "--wav", str(mic), "--played", str(played))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()[:-1]  # less the wrapper's peak-rss-mb
    assert "Traceback" not in done.stderr
    assert lines[-1].startswith(f"voicecoach: {played}: ") and fragment in lines[-1], lines


def test_an_utterance_played_on_in_parts_is_recorded_as_if_played_at_once() -> None:
    """What `--played` relies on: the echo guard sees the same levels (one piece, the same
    frame times), the canceller the same audio, and one line; only the last seconds of audio
    are kept."""
    pcm = np.random.default_rng(5).normal(0, 2000, 30 * SAMPLE_RATE + 100).astype(np.int16)
    at_once, in_parts = SilentOutput(), SilentOutput()
    at_once.play(pcm, SAMPLE_RATE, "(played)", at=0.0)
    in_parts.play(np.zeros(0, np.int16), SAMPLE_RATE, "(played)", at=0.0)
    for start in range(0, len(pcm), SAMPLE_RATE):
        in_parts.play_on(pcm[start : start + SAMPLE_RATE])
    assert in_parts.played() == at_once.played()
    for got, want in zip(in_parts.levels(0.0, 31.0), at_once.levels(0.0, 31.0), strict=True):
        assert np.array_equal(got, want)
    for start in (20.0, 25.3, 29.9):
        got, want = (
            in_parts.played_audio(start, SAMPLE_RATE),
            at_once.played_audio(start, SAMPLE_RATE),
        )
        assert np.array_equal(got.samples, want.samples)
        assert np.array_equal(got.timelines, want.timelines)
    assert not in_parts.played_audio(0.0, 10 * SAMPLE_RATE).samples.any()  # let go of
    with pytest.raises(ValueError, match="last part"):
        in_parts.play_on(pcm[:SAMPLE_RATE])  # after a part short of a whole frame
