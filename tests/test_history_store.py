"""HistoryStore on real SQLite files: schema, views, durability settings, queries."""

import json
import sqlite3
from pathlib import Path

import pytest

from voicecoach.coach.events import SetDone
from voicecoach.history.schema import SCHEMA_VERSION
from voicecoach.history.store import HistoryStore

from test_history_support import record_session


def test_default_path_follows_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICECOACH_DATA_DIR", str(tmp_path / "data"))
    with HistoryStore() as store:
        assert store.path == tmp_path / "data" / "history.sqlite3"
        record_session(store, "r")
    assert (tmp_path / "data" / "history.sqlite3").is_file()


def test_pragmas_and_version(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        conn = store._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_events_and_views(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with HistoryStore(path) as store:
        sid = record_session(store, "r", done=("bridge",), skipped=("plank",), pain=("plank",))
    conn = sqlite3.connect(path)
    started, routine, ended, reason = conn.execute(
        "SELECT started_at, routine, ended_at, end_reason FROM sessions WHERE id = ?", (sid,)
    ).fetchone()
    assert routine == "r" and reason == "completed" and ended >= started
    assert conn.execute('SELECT exercise, "set", reps, completed FROM sets_done').fetchall() == [
        ("bridge", 1, 10, 1),
        ("bridge", 2, 10, 1),
    ]
    assert conn.execute("SELECT exercise, skipped FROM exercises_done").fetchall() == [
        ("bridge", 0),
        ("plank", 1),
    ]
    assert conn.execute("SELECT command FROM commands_heard").fetchall() == [("skip",), ("pain",)]
    assert conn.execute('SELECT routine, exercise, "set", state FROM pain_reports').fetchall() == [
        ("r", "plank", 1, "counting")
    ]
    types = [json.loads(j)["type"] for (j,) in conn.execute("SELECT json FROM events ORDER BY id")]
    assert types[0] == "routine" and types[-1] == "end"


def test_summaries_and_outcomes(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        record_session(store, "a", done=("bridge",), seconds=120)
        record_session(store, "b", skipped=("bridge",), pain=("plank",), end="pain")
        record_session(store, "c", done=("plank",), end=None)  # process died: no end event
        sessions = store.sessions()
        assert [s.routine for s in sessions] == ["a", "b", "c"]
        assert sessions[0].minutes == 2
        assert sessions[1].exercises_skipped == ["bridge"] and len(sessions[1].pain_reports) == 1
        assert sessions[2].end_reason == "interrupted"  # end_session() without SessionEnded
        assert [(o.completed, o.pain) for o in store.exercise_outcomes("bridge")] == [(True, False)]
        assert [(o.completed, o.pain) for o in store.exercise_outcomes("plank")] == [
            (False, True),
            (True, False),
        ]
        assert store.recent_pain(2) == [False, True]


def test_reopen_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with HistoryStore(path) as store:
        record_session(store, "a")
    with HistoryStore(path) as store:
        record_session(store, "b")
        assert [s.routine for s in store.sessions()] == ["a", "b"]


def test_record_needs_a_session(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store, pytest.raises(RuntimeError):
        store.record(SetDone(0, "r", "e", 1, None, 1, 1.0, True))


def test_a_session_left_open_is_closed_as_interrupted(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.start_session("a")
        store.start_session("b")
        store.record(SetDone(1.0, "b", "bridge", 1, None, 10, 30.0, True))
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        assert [(s.routine, s.end_reason) for s in store.sessions()] == [
            ("a", "interrupted"),
            ("b", "interrupted"),  # close() ends what is still open
        ]


def test_record_from_several_threads(tmp_path: Path) -> None:
    """The engine may record from its listener thread while the main loop records too."""
    import threading

    with HistoryStore(tmp_path / "h.sqlite3") as store:
        sid = store.start_session("r")

        def burst(n: int) -> None:
            for i in range(25):
                store.record(SetDone(float(i), "r", f"e{n}", i, None, i, 1.0, True))

        threads = [threading.Thread(target=burst, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(store.session_events(sid)) == 100
