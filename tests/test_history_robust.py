"""A workout never dies because of its history: full disks, stray bytes, no empty files left.

Every test runs the real command line in a subprocess against real SQLite files.
"""

import json
import os
import resource
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from voicecoach.coach.commands import Command
from voicecoach.coach.events import CommandHeard
from voicecoach.history.store import HistoryStore

SRC = Path(__file__).resolve().parents[1] / "src"
WORKOUT = ["run", "core-four", "--text", "--json", "--speed", "1000"]


def voicecoach(
    data_dir: Path,
    args: list[str],
    stdin: bytes = b"",
    file_limit: int | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """The CLI as a user runs it; `file_limit`: bytes any file may grow to (`ulimit -f`)."""

    def limit_files() -> None:
        if file_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    environment = os.environ | {"PYTHONPATH": str(SRC), "VOICECOACH_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "voicecoach", *args],
        input=stdin, capture_output=True, env=environment | (env or {}), timeout=120,
        preexec_fn=limit_files,
    )  # fmt: skip


def events(done: subprocess.CompletedProcess[bytes]) -> list[dict]:
    return [json.loads(line) for line in done.stdout.decode().splitlines()]


def empty_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file() and p.stat().st_size == 0)


# 100 KB: the history fills up mid-workout (its write-ahead log reaches the limit), and so does
# the fresh fallback file the session moves to. 30 KB: no file can even be set up.
@pytest.mark.parametrize("limit_kb", [100, 30])
def test_a_full_disk_degrades_to_memory_and_the_workout_ends_normally(
    tmp_path: Path, limit_kb: int
) -> None:
    done = voicecoach(tmp_path, WORKOUT, file_limit=limit_kb * 1024)
    err = done.stderr.decode()
    assert done.returncode == 0 and "Traceback" not in err, err
    assert [e["reason"] for e in events(done) if e["type"] == "end"] == ["completed"]
    warnings = err.splitlines()
    assert 1 <= len(warnings) <= 2, err  # one line for each place given up
    assert all(w.startswith("voicecoach: warning: cannot use the history file") for w in warnings)
    assert "history is not saved this time" in warnings[-1]
    assert empty_files(tmp_path) == []
    listed = voicecoach(tmp_path, ["history"])
    assert listed.returncode == 0, listed.stderr


def test_an_empty_fallback_file_is_not_listed(tmp_path: Path) -> None:
    """Left by an older VoiceCoach (or a crash as it was created): it holds nothing to read."""
    assert voicecoach(tmp_path, WORKOUT).returncode == 0
    (tmp_path / "history-20260101-120000.sqlite3").touch()
    listed = voicecoach(tmp_path, ["history"])
    assert listed.returncode == 0 and b"history-20260101" not in listed.stderr, listed.stderr


@pytest.mark.parametrize(
    "decoding", [{}, {"PYTHONIOENCODING": "utf-8"}], ids=["surrogateescape", "strict"]
)
def test_invalid_utf8_on_stdin_is_a_typo_not_a_crash(
    tmp_path: Path, decoding: dict[str, str]
) -> None:
    done = voicecoach(tmp_path, WORKOUT, stdin=b"\xff next\n", env=decoding)
    err = done.stderr.decode()
    assert done.returncode == 0 and "Traceback" not in err, err
    assert [e["command"] for e in events(done) if e["type"] == "command"] == ["next"]
    with closing(sqlite3.connect(tmp_path / "history.sqlite3")) as conn:
        (text,) = conn.execute("SELECT text FROM commands_heard").fetchone()
    assert text == "\ufffd next"


def test_the_store_keeps_an_undecodable_byte_as_a_replacement(tmp_path: Path) -> None:
    """A lone surrogate (how Python keeps a byte it could not decode) cannot go into SQLite."""
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        store.start_session("r\udcff")
        store.record(CommandHeard(1.0, Command.NEXT, "\udcff next"))
        (session,) = store.sessions()
        assert session.routine == "r?"
        assert json.loads(store.session_events(session.id)[0])["text"] == "? next"
        assert store.path == tmp_path / "history.sqlite3"  # no fallback was needed
