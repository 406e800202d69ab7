"""The history holds health data (pain reports): its folder is 0700 and its files 0600, whoever
made the folder first and whatever the umask."""

import os
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from test_history_support import write_history_db

SRC = Path(__file__).resolve().parents[1] / "src"


def run_workout(data_dir: Path, umask: int = 0o022) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "voicecoach", "run", "core-four", "--text", "--speed", "1000"],
        input="", capture_output=True, text=True, timeout=120,
        env=os.environ | {"PYTHONPATH": str(SRC), "VOICECOACH_DATA_DIR": str(data_dir)},
        preexec_fn=lambda: os.umask(umask),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes(folder: Path) -> dict[str, int]:
    return {p.name: mode(p) for p in folder.iterdir()}


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_a_new_history_is_private(tmp_path: Path, umask: int) -> None:
    data = tmp_path / "voicecoach"
    run_workout(data, umask)
    assert mode(data) == 0o700
    assert modes(data) == {"history.sqlite3": 0o600}


def test_an_open_folder_and_old_files_are_tightened(tmp_path: Path) -> None:
    """`model install` made the folder 0755; an older VoiceCoach wrote the history 0644, and
    left its -wal behind (killed)."""
    data = tmp_path / "voicecoach"
    (data / "models").mkdir(parents=True)
    db = write_history_db(data / "history.sqlite3", sessions=2)
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
    db.with_name("history.sqlite3-wal").write_bytes(b"")
    for path in [data, *data.iterdir()]:
        path.chmod(0o644 if path.is_file() else 0o755)
    run_workout(data)
    assert mode(data) == 0o700
    files = {name: m for name, m in modes(data).items() if name != "models"}
    assert files and set(files.values()) == {0o600}, files
    assert mode(data / "models") == 0o755  # what is inside is the models', not ours to change


def test_a_fallback_file_is_private(tmp_path: Path) -> None:
    data = tmp_path / "voicecoach"
    data.mkdir(mode=0o755)
    (data / "history.sqlite3").write_bytes(os.urandom(8192))  # damaged: a fallback is made
    run_workout(data)
    fallbacks = [p for p in data.iterdir() if p.name.startswith("history-")]
    assert fallbacks and all(mode(p) == 0o600 for p in fallbacks)
    assert mode(data) == 0o700
