"""The workout log: one row per session, one committed row per event, as they happen.

Nothing the user recorded is ever lost: a history file that cannot be used (damaged, locked,
foreign, from a newer VoiceCoach) is never written to, deleted or replaced. The session is
logged next to it instead (the newest earlier fallback file if that one is healthy, else a
fresh `history-<time>.sqlite3`), with one warning line on stderr. If no file can be written at
all the log is kept in memory, so the workout still runs.

A file that fails under a write mid-session (a full disk, an I/O error, a lock) hands the whole
session on, replayed, to the next place: one fresh fallback file per run, then memory, with one
warning line for each move. A file made for the session that ends up holding none is removed.
"""

import contextlib
import json
import sqlite3
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

from voicecoach.coach.events import Event, SessionEnded
from voicecoach.history import queries
from voicecoach.history.db import (
    Unusable,
    describe,
    open_for_writing,
    open_in_memory,
    remove_history_file,
)
from voicecoach.history.paths import default_db_path, fallback_candidates, new_fallback_path
from voicecoach.history.queries import ExerciseOutcome, SessionSummary
from voicecoach.signals import end_reason

__all__ = ["HistoryStore", "default_db_path"]

T = TypeVar("T")


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def storable(text: str) -> str:
    """`text` as SQLite can store it: a lone surrogate (an undecodable byte read with Python's
    surrogateescape, e.g. from stdin or a file name) becomes '?' instead of failing the write."""
    return text.encode("utf-8", "replace").decode("utf-8")


class HistoryStore:
    def __init__(self, path: Path | None = None) -> None:
        self.primary = path or default_db_path()
        self.path: Path | None = self.primary  # the file being written; None: memory only
        self._lock = threading.Lock()
        self._session: tuple[str, str] | None = None  # (routine, started_at) of the open session
        self._session_id: int | None = None
        self._ended = False
        self._rows: list[tuple[float, str, str]] = []  # this session's events, for a fallback
        self._made: Path | None = None  # the fallback file this store created, if any
        try:
            self._conn = open_for_writing(self.primary)
        except Unusable as error:
            self._conn = self._fall_back(str(error), reuse=True)

    # -- writing -----------------------------------------------------------------------------

    def start_session(self, routine_id: str) -> int:
        """Open a session (committed at once) and return its id."""
        with self._lock:
            self._end("interrupted")  # a session left open by the caller
            self._session = (storable(routine_id), _now())
            self._rows, self._ended = [], False
            self._session_id = self._guard(self._insert_session, replayed=True)
            return self._session_id

    def record(self, event: Event) -> None:
        """Commit one event of the open session. A SessionEnded also closes the session row."""
        if self._session is None:
            raise RuntimeError("HistoryStore.record() called before start_session()")
        data = storable(json.dumps(event.to_json(), ensure_ascii=False))
        with self._lock:
            self._rows.append((event.t, event.type, data))
            if isinstance(event, SessionEnded):
                self._ended = True
            self._guard(lambda: self._insert_event(event.t, event.type, data), replayed=True)

    def end_session(self, reason: str = "interrupted") -> None:
        """Close the open session. `reason` is kept only if no SessionEnded was recorded."""
        with self._lock:
            self._end(reason)

    def close(self, reason: str = "interrupted") -> None:
        """Close the file; an open session ends with `reason`."""
        if self._session is not None:
            self.end_session(reason)
        # Every event is committed already: a checkpoint that fails here loses nothing.
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(end_reason(error))

    # -- reading -----------------------------------------------------------------------------

    def sessions(self) -> list[SessionSummary]:
        return self._read(queries.session_summaries, [])

    def session_count(self) -> int:
        return self._read(queries.session_count, 0)

    def recent_pain(self, sessions: int) -> list[bool]:
        return self._read(lambda c: queries.recent_pain(c, sessions), [])

    def exercise_outcomes(self, exercise: str) -> list[ExerciseOutcome]:
        return self._read(lambda c: queries.exercise_outcomes(c, exercise), [])

    def session_events(self, session_id: int) -> list[str]:
        return self._read(lambda c: queries.session_events(c, session_id), [])

    # -- internals ---------------------------------------------------------------------------

    def _read(self, query: Callable[[sqlite3.Connection], T], empty: T) -> T:
        with self._lock:
            return self._read_unlocked(query, empty)

    def _read_unlocked(self, query: Callable[[sqlite3.Connection], T], empty: T) -> T:
        try:
            return query(self._conn)
        except sqlite3.Error:
            return empty  # a history that cannot be read must not stop the workout

    def _insert_session(self) -> int:
        assert self._session is not None
        routine, started_at = self._session
        cursor = self._conn.execute(
            "INSERT INTO sessions (started_at, routine) VALUES (?, ?)", (started_at, routine)
        )
        return int(cursor.lastrowid or 0)

    def _insert_event(self, t: float, kind: str, data: str) -> None:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.execute(
                "INSERT INTO events (session_id, t, type, json) VALUES (?, ?, ?, ?)",
                (self._session_id, t, kind, data),
            )
            if kind == SessionEnded.type:
                self._conn.execute(
                    "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ?",
                    (_now(), json.loads(data)["reason"], self._session_id),
                )
            self._conn.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def _end(self, reason: str) -> None:
        if self._session is not None and not self._ended:
            self._guard(lambda: self._set_end(reason))
        self._session, self._session_id = None, None

    def _set_end(self, reason: str) -> None:
        self._conn.execute(
            "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ?",
            (_now(), reason, self._session_id),
        )

    def _rollback(self) -> None:
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def _guard(self, write: Callable[[], T], replayed: bool = False) -> T:
        """Run a write; if the file fails under it, move the session to a fallback and go on.

        `replayed`: the write is already part of what a fallback replays (session row, events).
        Each failure moves one step down (the file, one fresh fallback file, memory), so this
        ends; only a failure in memory, which has no disk under it, is raised.
        """
        while True:
            try:
                return write()
            except sqlite3.Error as error:
                if self.path is None:
                    raise
                self._move(describe(error))
            if replayed:
                return self._session_id  # type: ignore[return-value]

    def _move(self, reason: str) -> None:
        """Carry the open session over to the next place that works, replayed whole."""
        while True:
            self._close_quietly()
            self._conn = self._fall_back(reason, reuse=False)
            try:
                self._replay()
                return
            except sqlite3.Error as error:
                if self.path is None:
                    raise
                reason = describe(error)

    def _close_quietly(self) -> None:
        """Close a connection whose file has failed; what it leaves is the file's business."""
        made_here = self.path is not None and self.path == self._made
        empty = made_here and self._read_unlocked(queries.session_count, None) == 0
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()
        if empty and self.path is not None:
            remove_history_file(self.path)  # it failed before any session was written

    def _replay(self) -> None:
        """Copy the open session, and every event recorded so far, into the new database."""
        if self._session is None:
            return
        self._session_id = self._insert_session()
        for t, kind, data in self._rows:
            self._insert_event(t, kind, data)

    def _fall_back(self, reason: str, reuse: bool) -> sqlite3.Connection:
        """Open somewhere else to write, and say so in one line on stderr."""
        failed = self.path
        conn, self.path = self._open_fallback(reuse)
        where = f"logging to {self.path} instead" if self.path else "history is not saved this time"
        print(
            f"voicecoach: warning: cannot use the history file {failed} ({reason}); {where}",
            file=sys.stderr,
        )
        return conn

    def _open_fallback(self, reuse: bool) -> tuple[sqlite3.Connection, Path | None]:
        """An earlier fallback file (when opening), else one fresh file per store, else memory."""
        folder_ok = self.primary.parent.is_dir()
        candidates = fallback_candidates(self.primary)[:1] if reuse and folder_ok else []
        if folder_ok and self._made is None:
            candidates.append(new_fallback_path(self.primary))
        for candidate in candidates:
            if candidate == self.path:
                continue
            fresh = not candidate.exists()
            if fresh:
                self._made = candidate
            try:
                return open_for_writing(candidate), candidate
            except Unusable:
                continue
        return open_in_memory(), None
