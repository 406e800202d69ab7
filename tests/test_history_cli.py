"""`voicecoach history`: table, --json, --plot and --db, on databases made from real events."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voicecoach.cli import main
from voicecoach.history.store import HistoryStore

from test_history_support import write_history_db

SRC = Path(__file__).resolve().parents[1] / "src"


def history(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["history", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_is_one_object_per_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = write_history_db(tmp_path / "h.sqlite3", sessions=3)
    code, out, _ = history(capsys, "--json", "--db", str(db))
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3]
    assert rows[0]["routine"] == "five-strengthening" and rows[0]["minutes"] == 5.0
    assert rows[0]["exercises_done"] == ["bridge", "draw-in"]
    assert rows[0]["end_reason"] == "completed"
    assert rows[1]["pain_reports"] == [
        {"routine": "five-strengthening", "exercise": "bridge", "set": 1, "state": "counting",
         "t": rows[1]["pain_reports"][0]["t"]}
    ]  # fmt: skip
    assert rows[0]["started_at"] <= rows[2]["started_at"]


def test_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = write_history_db(tmp_path / "h.sqlite3", sessions=2)
    code, out, _ = history(capsys, "--db", str(db))
    header, *rows = out.splitlines()
    assert code == 0 and header.split() == ["date", "routine", "min", "done", "skip", "pain", "end"]
    assert len(rows) == 2
    assert rows[1].split()[2:] == ["five-strengthening", "6.0", "2", "0", "1", "completed"]


def test_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = write_history_db(tmp_path / "h.sqlite3", sessions=4)
    png = tmp_path / "sessions.png"
    code, _, _ = history(capsys, "--plot", str(png), "--db", str(db))
    assert code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    code, _, err = history(capsys, "--plot", str(tmp_path / "no" / "such.png"), "--db", str(db))
    assert code == 2 and len(err.splitlines()) == 1


def test_empty_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VOICECOACH_DATA_DIR", str(tmp_path / "data"))
    code, out, _ = history(capsys)
    assert code == 0 and out.startswith("No workouts recorded yet")
    code, out, err = history(capsys, "--json")
    assert code == 0 and out == "" and err.startswith("No workouts")
    assert not (tmp_path / "data").exists()  # looking must not create anything


def test_bad_db_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = history(capsys, "--db", str(tmp_path / "missing.sqlite3"))
    assert code == 2 and len(err.splitlines()) == 1
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(os.urandom(4096))
    before = junk.read_bytes()
    code, _, err = history(capsys, "--db", str(junk))
    assert code == 2 and len(err.splitlines()) == 1 and "junk.sqlite3" in err
    assert junk.read_bytes() == before


def test_fallback_files_are_mentioned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = write_history_db(tmp_path / "history.sqlite3", sessions=1)
    write_history_db(tmp_path / "history-20260101-120000.sqlite3", sessions=1)
    _, _, err = history(capsys, "--db", str(db))
    assert "history-20260101-120000.sqlite3" in err


def voicecoach(data_dir: Path, args: list[str], commands: str = "") -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONPATH": str(SRC), "VOICECOACH_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "voicecoach", *args],
        input=commands, capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


def run_text(data_dir: Path, routine: str, commands: str) -> subprocess.CompletedProcess:
    return voicecoach(data_dir, ["run", routine, "--text", "--speed", "1000"], commands)


def test_real_text_sessions_are_logged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """End to end: `voicecoach run --text` logs to $VOICECOACH_DATA_DIR; history reads it back."""
    if voicecoach(tmp_path / "probe", ["run", "--help"]).returncode != 0:
        pytest.skip("`voicecoach run` is not available yet")
    data = tmp_path / "data"
    first = run_text(data, "five-strengthening", "next\n" * 12)
    assert first.returncode == 0, first.stderr
    second = run_text(data, "five-strengthening", "skip\n@1 it hurts\n")
    assert second.returncode == 0, second.stderr
    db = data / "history.sqlite3"
    assert db.is_file(), "run did not write $VOICECOACH_DATA_DIR/history.sqlite3"
    code, out, _ = history(capsys, "--json", "--db", str(db))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["routine"] for r in rows] == ["five-strengthening"] * 2
    assert rows[0]["exercises_done"] and rows[0]["end_reason"] == "completed"
    assert rows[1]["pain_reports"] and rows[1]["minutes"] > 0
    with HistoryStore(db) as store:
        events = [json.loads(e) for e in store.session_events(rows[0]["id"])]
    assert events[0]["type"] == "routine" and events[-1]["type"] == "end"
