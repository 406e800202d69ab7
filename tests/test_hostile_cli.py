"""Hostile WAVs, model archives, closed pipes, a folder for --plot and phoneme markup (issue 28,
items 7 and 11): the real CLI says one line and exits 2 (141 for a closed pipe), no traceback."""

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from voicecoach.audio.wavio import read_wav
from voicecoach.voices.speakers import EspeakSpeaker

from test_history_support import write_history_db

REPO = Path(__file__).resolve().parents[1]
ROOT = os.geteuid() == 0


def voicecoach(
    *args: str, cwd: Path, stdout: int | None = subprocess.PIPE, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("VOICECOACH_")}
    environ |= {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), environ.get("PYTHONPATH")])),
        "VOICECOACH_CONFIG": str(cwd / "none.yaml"),
        "VOICECOACH_DATA_DIR": str(cwd / "data"),
        "HOME": str(cwd),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "voicecoach", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=120,
    )


def one_line(done: subprocess.CompletedProcess[str], fragment: str, status: int = 2) -> str:
    assert done.returncode == status, done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    line = done.stderr.splitlines()[-1]
    assert line.startswith("voicecoach: ") and fragment in line, done.stderr
    return line


# ---- WAV input -------------------------------------------------------------------------------


def wav_bytes(
    channels: int, rate: int, width: int, data: bytes, declared: int | None = None
) -> bytes:
    block = channels * width
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block % 2**32, block % 2**16, width * 8)
    size = len(data) if declared is None else declared
    body = b"WAVEfmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", size)
    return b"RIFF" + struct.pack("<I", len(body) + len(data)) + body + data


HOSTILE_WAVS = {
    # a file cut inside its last frame: the header promises more than is there
    "partial-frame": (
        wav_bytes(1, 16000, 2, b"\0" * 15999, declared=16000),
        "the audio data ends in the middle of a frame",
    ),
    "partial-24-bit-frame": (
        wav_bytes(1, 16000, 3, b"\0" * 15998, declared=16002),
        "the audio data ends in the middle of a frame",
    ),
    "zero-rate": (wav_bytes(1, 0, 2, b"\0" * 3200), "unsupported WAV sample rate of 0 Hz"),
    "65535-channels": (
        wav_bytes(65535, 16000, 2, b"\0" * 131070 * 2),
        "unsupported WAV with 65535 channels",
    ),
}


@pytest.mark.parametrize("name", HOSTILE_WAVS)
def test_hostile_wav_is_one_line(name: str, tmp_path: Path) -> None:
    data, fragment = HOSTILE_WAVS[name]
    wav = tmp_path / f"{name}.wav"
    wav.write_bytes(data)
    done = voicecoach(
        "listen", "--wav", str(wav), "--engine", "pocketsphinx", "--no-second-opinion",
        cwd=tmp_path,
    )  # fmt: skip
    assert one_line(done, fragment).startswith(f"voicecoach: {wav}: ")
    assert done.stdout == ""


def test_a_good_wav_still_reads(tmp_path: Path) -> None:
    """The checks refuse nothing ordinary: 8-bit stereo at 44.1 kHz, one second."""
    wav = tmp_path / "ok.wav"
    wav.write_bytes(wav_bytes(2, 44100, 1, bytes([128]) * 2 * 44100))
    samples = read_wav(wav)
    assert len(samples) == 16000 and not samples.any()


# ---- model archives --------------------------------------------------------------------------


def stored_zip(path: Path, encrypted: bool = False, method: int | None = None) -> Path:
    """A one-entry zip; zipfile cannot write encrypted or Deflate64 (9) entries, so those are
    patched in: the flags and method fields of the local and the central header."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("vosk-model-x/am/final.mdl", b"not really a model" * 10)
    data = bytearray(path.read_bytes())
    local, central = data.index(b"PK\x03\x04"), data.index(b"PK\x01\x02")
    if encrypted:
        data[local + 6] |= 0x1
        data[central + 8] |= 0x1
    if method is not None:
        data[local + 8 : local + 10] = struct.pack("<H", method)
        data[central + 10 : central + 12] = struct.pack("<H", method)
    path.write_bytes(bytes(data))
    return path


def test_encrypted_zip_entry_is_one_line(tmp_path: Path) -> None:
    archive = stored_zip(tmp_path / "m.zip", encrypted=True)
    done = voicecoach(
        "model", "install", str(archive), "--no-verify", "--dest", str(tmp_path / "d"), cwd=tmp_path
    )
    one_line(done, f"{archive}: entry 'vosk-model-x/am/final.mdl' is encrypted; refused")


def test_unsupported_compression_method_is_one_line(tmp_path: Path) -> None:
    archive = stored_zip(tmp_path / "m.zip", method=9)
    done = voicecoach(
        "model", "install", str(archive), "--no-verify", "--dest", str(tmp_path / "d"), cwd=tmp_path
    )
    one_line(done, "uses compression method 9, which cannot be unpacked here")


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder anyone can read (tmp_path is private to root), for a command run as nobody."""
    folder = Path(tempfile.mkdtemp(prefix="voicecoach-hostile-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("action", ["install", "download"])
def test_read_only_dest_is_one_line(action: str, shared_dir: Path) -> None:
    """Run as an unprivileged user (root writes anywhere): a --dest it cannot write in."""
    archive = stored_zip(shared_dir / "m.zip")
    archive.chmod(0o644)
    dest = shared_dir / "dest"
    dest.mkdir(mode=0o555)
    dest.chmod(0o555)
    args = ["install", str(archive), "--no-verify"] if action == "install" else ["download"]
    command = [sys.executable, "-m", "voicecoach", "model", *args, "--dest", str(dest)]
    if ROOT:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root and setpriv is missing")
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    environ = os.environ | {
        "PYTHONPATH": str(REPO / "src"),
        "HOME": str(shared_dir),
        "VOICECOACH_CONFIG": str(shared_dir / "none.yaml"),
    }
    done = subprocess.run(
        command, capture_output=True, text=True, env=environ, cwd=shared_dir, timeout=120
    )
    one_line(done, f"cannot write in {dest}: Permission denied")
    assert os.listdir(dest) == []


# ---- closed pipes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [("routines",), ("run", "core-four", "--text", "--speed", "1000")],
    ids=["routines", "run"],
)
def test_closed_stdout_ends_quietly(args: tuple[str, ...], tmp_path: Path) -> None:
    """`voicecoach ... | head -1` once head has gone: no traceback, the SIGPIPE status."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    try:
        done = voicecoach(*args, cwd=tmp_path, stdout=write_end)
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 141


def test_head_of_run_ends_quietly(tmp_path: Path) -> None:
    """The same through a shell pipeline, as a person would type it."""
    env = os.environ | {
        "PYTHONPATH": str(REPO / "src"),
        "VOICECOACH_CONFIG": str(tmp_path / "none.yaml"),
        "VOICECOACH_DATA_DIR": str(tmp_path / "data"),
    }
    line = f"{sys.executable} -m voicecoach run core-four --text --speed 1000 </dev/null | head -2"
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {line}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert len(done.stdout.splitlines()) == 2
    assert done.stderr == ""
    assert done.returncode == 141


# ---- history --plot into a folder ------------------------------------------------------------


def test_plot_into_a_folder_says_where_it_went(tmp_path: Path) -> None:
    db = write_history_db(tmp_path / "h.sqlite3", sessions=3)
    charts = tmp_path / "charts"
    charts.mkdir()
    done = voicecoach("history", "--plot", str(charts), "--db", str(db), cwd=tmp_path)
    chart = charts / "voicecoach-history.png"
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Saved a chart of 3 sessions to {chart}\n"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / "charts.png").exists()


def test_plot_without_extension_says_the_png_name(tmp_path: Path) -> None:
    db = write_history_db(tmp_path / "h.sqlite3", sessions=2)
    done = voicecoach("history", "--plot", str(tmp_path / "chart"), "--db", str(db), cwd=tmp_path)
    assert done.stdout == f"Saved a chart of 2 sessions to {tmp_path / 'chart.png'}\n"
    assert (tmp_path / "chart.png").is_file()


# ---- phoneme markup in spoken text -----------------------------------------------------------


def test_phoneme_markup_is_not_read_as_phonemes() -> None:
    """A line with `[[...]]` sounds as it would with the brackets apart (a pause, then the
    letters), not as the phonemes espeak-ng would otherwise read between them."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    speaker = EspeakSpeaker()
    marked, _ = speaker.render("Now [[h@l'oU]] rest.")
    apart, _ = speaker.render("Now [ [h@l'oU]] rest.")
    raw = subprocess.run(
        ["espeak-ng", "--stdout", "-v", speaker.voice, "-s", str(speaker.rate)],
        input=b"Now [[h@l'oU]] rest.",
        capture_output=True,
        check=True,
    ).stdout
    assert np.array_equal(marked, apart)
    assert len(raw) < len(marked.tobytes())  # espeak-ng itself says the phonemes: shorter
