"""An unusable history file never stops a session and is never written to, moved or deleted."""

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from voicecoach.history.store import HistoryStore

from test_history_support import record_session, write_history_db


def random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def truncated(path: Path) -> None:
    write_history_db(path, sessions=30)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def directory(path: Path) -> None:
    path.mkdir()
    (path / "keep.txt").write_text("mine")


def newer_schema(path: Path) -> None:
    write_history_db(path)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA user_version = 99")


def foreign_database(path: Path) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
        conn.execute("INSERT INTO recipes VALUES ('soup')")


BROKEN: dict[str, Callable[[Path], None]] = {
    "random-bytes": random_bytes,
    "truncated": truncated,
    "directory": directory,
    "newer-schema": newer_schema,
    "foreign-database": foreign_database,
}


def snapshot(path: Path) -> dict[str, bytes]:
    """Every byte of the file (or of the folder in its place) and of a non-empty -wal file.

    Left out: the -shm file (SQLite's shared-memory index, rebuilt from the others) and an empty
    -wal (a read-only connection to a WAL database creates one and cannot remove it).
    """
    if path.is_dir():
        return {p.name: p.read_bytes() for p in path.iterdir()}
    files = [path, path.with_name(path.name + "-wal")]
    return {p.name: p.read_bytes() for p in files if p.exists() and p.stat().st_size}


def assert_session_runs(path: Path, capsys: pytest.CaptureFixture[str]) -> HistoryStore:
    """A whole session is logged, somewhere other than `path`, with exactly one warning line."""
    store = HistoryStore(path)
    record_session(store, "five-strengthening", done=("bridge",))
    assert store.path != path
    assert [s.routine for s in store.sessions()][-1] == "five-strengthening"
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and str(path) in err[0] and "warning" in err[0]
    assert store.path is None or str(store.path) in err[0]
    print(err[0])
    return store


@pytest.mark.parametrize("kind", list(BROKEN))
def test_broken_file_falls_back(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "history.sqlite3"
    BROKEN[kind](path)
    before = snapshot(path)
    capsys.readouterr()
    store = assert_session_runs(path, capsys)
    assert store.path is not None and store.path.parent == tmp_path
    assert store.path.name.startswith("history-") and store.path.suffix == ".sqlite3"
    store.close()
    assert snapshot(path) == before


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Path]:
    """A good history file that another connection holds an exclusive lock on."""
    path = write_history_db(tmp_path / "history.sqlite3")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    yield path
    holder.execute("ROLLBACK")
    holder.close()


def test_locked_file_falls_back(locked: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = locked.read_bytes()
    assert_session_runs(locked, capsys).close()
    assert locked.read_bytes() == before


def test_fallback_file_is_reused_while_main_file_stays_broken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "history.sqlite3"
    random_bytes(path)
    first = assert_session_runs(path, capsys)
    first.close()
    second = assert_session_runs(path, capsys)
    assert second.path == first.path  # progression keeps counting across the broken period
    assert len(second.sessions()) == 2
    second.close()


def test_failure_mid_session_moves_the_whole_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path)
    store.start_session("r")
    from voicecoach.coach.events import SessionEnded, SetDone

    store.record(SetDone(1.0, "r", "bridge", 1, None, 10, 30.0, True))
    store._conn.close()  # the file goes away under the session (a stand-in for a disk error)
    store.record(SetDone(2.0, "r", "bridge", 2, None, 10, 30.0, True))
    store.record(SessionEnded(3.0, "completed", "s"))
    store.end_session()
    assert store.path != path
    events = store.session_events(store.sessions()[-1].id)
    assert len(events) == 3  # the events from before the failure were replayed
    assert len(capsys.readouterr().err.splitlines()) == 1
    store.close()


def test_no_writable_folder_keeps_history_in_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    store = HistoryStore(blocker / "history.sqlite3")
    record_session(store, "r", done=("bridge",))
    assert store.path is None and len(store.sessions()) == 1
    assert "not saved" in capsys.readouterr().err
    store.close()
    assert blocker.read_text() == "a file where the data folder should be"


def test_refused_file_with_pending_wal_is_not_checkpointed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A newer VoiceCoach's file whose last commits sit in its -wal: we must not fold them in."""
    path = tmp_path / "history.sqlite3"
    newer_schema(path)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("INSERT INTO sessions (started_at, routine) VALUES ('2030-01-01', 'x')")
    before = snapshot(path)
    assert len(before["history.sqlite3-wal"]) > 0
    assert_session_runs(path, capsys).close()
    assert snapshot(path) == before
    writer.close()


def test_lock_taken_mid_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Another program locks the file during a workout: the session moves over, whole."""
    from voicecoach.coach.events import SessionEnded, SetDone

    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path)
    store.start_session("r")
    store.record(SetDone(1.0, "r", "bridge", 1, None, 10, 30.0, True))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a writer that does not let go (in WAL mode, the lock
    holder.execute("DELETE FROM events")  # an open session's file cannot be taken EXCLUSIVE)
    store.record(SetDone(2.0, "r", "bridge", 2, None, 10, 30.0, True))
    store.record(SessionEnded(3.0, "completed", "s"))
    store.close()
    assert store.path != path and "locked" in capsys.readouterr().err
    holder.execute("ROLLBACK")
    holder.close()
    with HistoryStore(store.path) as moved:
        (session,) = moved.sessions()
        assert session.end_reason == "completed" and len(moved.session_events(session.id)) == 3
