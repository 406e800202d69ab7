"""Opening a history database: checked before anything is written, so a bad file is left as is.

Durability: WAL with synchronous=FULL. Every event is its own transaction, and in WAL mode FULL
syncs the log at each commit, so a kill -9 or a power cut loses at most the event being written.
NORMAL would survive kill -9 too, but a power cut could lose every commit since the last
checkpoint. At a few events a second the extra fsync costs nothing the user notices.
"""

import contextlib
import os
import sqlite3
from pathlib import Path

from voicecoach.history.schema import SCHEMA_VERSION, migrate

BUSY_SECONDS = 2.0  # how long to wait for another writer before calling the file locked


class Unusable(Exception):
    """The database file cannot be used; the message says why, in a few words."""


def open_for_writing(path: Path) -> sqlite3.Connection:
    """Open (or create) a history database at `path`, ready for `record`. Raises Unusable."""
    try:
        if path.exists() and not path.is_file():
            raise Unusable("it is not a regular file")
        # Private: the log holds health data (pain reports).
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        created = _create(path)
        for private in (path.parent, path, *_companions(path)):
            _tighten(private)
        # A read-only look first: a read-write connection may write (a WAL checkpoint on
        # close) even to a file we then refuse, and the user's file must stay exactly as it was.
        version = 0 if created or path.stat().st_size == 0 else _inspect(path)
    except OSError as error:
        raise Unusable(f"cannot create it or its folder: {error.strerror}") from None
    conn = _connect(str(path), uri=False)
    try:
        if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
            raise Unusable("it does not support write-ahead logging")
        conn.execute("PRAGMA synchronous = FULL")
        migrate(conn, version)
    except (sqlite3.Error, Unusable) as error:
        conn.close()
        if created and _holds_nothing(path):
            remove_history_file(path)  # made a moment ago, and nothing could be written to it
        if isinstance(error, Unusable):
            raise
        raise Unusable(describe(error)) from None
    if created:
        _sync_dir(path.parent)
    return conn


def _create(path: Path) -> bool:
    """Create the file, empty and private; False if it is there already (maybe just made by a
    second VoiceCoach starting at the same moment, which then sets it up in its turn)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def _tighten(path: Path) -> None:
    """Take away group and other access (a folder made by `model install`, or a history file
    written by an older VoiceCoach, may have it). Not ours to change, or gone: left as it is."""
    try:
        mode = path.stat().st_mode
        if mode & 0o077:
            path.chmod(mode & 0o700)
    except OSError:
        pass


def _companions(path: Path) -> tuple[Path, Path]:
    """SQLite's -wal and -shm files next to a database (made with its permissions)."""
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def _holds_nothing(path: Path) -> bool:
    """Nothing was ever committed to it: no schema version in the file's header (SQLite's
    user_version, bytes 60-63, which migrate sets) and no write-ahead log. Read as bytes, because
    a database that failed under a write may not even be readable through SQLite."""
    wal = _companions(path)[0]
    try:
        with path.open("rb") as file:
            header = file.read(100)
        logged = wal.stat().st_size if wal.exists() else 0
    except OSError:
        return False
    version = int.from_bytes(header[60:64], "big") if len(header) == 100 else 0
    return version == 0 and logged == 0


def remove_history_file(path: Path) -> None:
    """The file with its -wal and -shm; what cannot be removed stays."""
    for leftover in (path, *_companions(path)):
        with contextlib.suppress(OSError):
            leftover.unlink(missing_ok=True)


def _inspect(path: Path) -> int:
    """The schema version of an existing file, checked through a read-only connection."""
    conn = _read_only(path)
    try:
        # One read transaction: another VoiceCoach may set up a new file between two reads, and
        # "version 0" then "tables" would call our own database foreign.
        conn.execute("BEGIN")
        version = _check(conn)
        if version == 0 and _has_tables(conn):
            raise Unusable("it is not a VoiceCoach history database")
        return version
    except sqlite3.Error as error:
        raise Unusable(describe(error)) from None
    finally:
        conn.close()


def open_for_reading(path: Path) -> sqlite3.Connection | None:
    """Open an existing history for queries; None when it holds no history yet. Raises Unusable.

    Checked read-only first; the connection itself is read-write but query_only, because only a
    read-write connection tidies away the -wal and -shm files when it closes.
    """
    if not path.exists():
        return None
    if not path.is_file():
        raise Unusable("it is not a regular file")
    version = _inspect(path) if path.stat().st_size else 0
    if version == 0:
        return None
    if version != SCHEMA_VERSION:
        raise Unusable(f"unknown schema version {version} (this VoiceCoach reads {SCHEMA_VERSION})")
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        return _read_only(path)  # nothing to tidy where nothing can be written
    conn = _connect(str(path), uri=False)
    conn.execute("PRAGMA query_only = ON")
    return conn


def _read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection. A WAL database needs its -shm file to be read; in a folder where
    SQLite can make neither that nor a -wal file, the file is opened as immutable: nothing can
    change it there (a writer would need a -wal file too)."""
    uri = path.resolve().as_uri()
    conn = _connect(f"{uri}?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA user_version").fetchone()
        return conn
    except sqlite3.Error as error:
        conn.close()
        if os.access(path.parent, os.W_OK) or _companions(path)[0].exists():
            raise Unusable(describe(error)) from None
    return _connect(f"{uri}?mode=ro&immutable=1", uri=True)


def open_in_memory() -> sqlite3.Connection:
    conn = _connect(":memory:", uri=False)
    migrate(conn, 0)
    return conn


PLAIN_WORDS = {
    "database is locked": "another program holds it locked",
    "file is not a database": "it is not a database file, or it is damaged",
    "database disk image is malformed": "it is damaged",
    "unable to open database file": "it cannot be opened",
}


def describe(error: sqlite3.Error) -> str:
    """SQLite's message in plain words, for the one warning line."""
    message = str(error).rstrip(".") or type(error).__name__
    return PLAIN_WORDS.get(message, message)


def _connect(target: str, uri: bool) -> sqlite3.Connection:
    try:
        # Autocommit: each statement is its own transaction unless BEGIN says otherwise.
        # check_same_thread=False: the engine may record from its listener thread (store locks).
        return sqlite3.connect(
            target, timeout=BUSY_SECONDS, isolation_level=None, uri=uri, check_same_thread=False
        )
    except sqlite3.Error as error:
        raise Unusable(describe(error)) from None


def _check(conn: sqlite3.Connection) -> int:
    """The schema version, after reads that fail on a damaged, foreign or locked file."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise Unusable(f"it was written by a newer VoiceCoach (schema {version})")
    problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
    if problems != ["ok"]:
        raise Unusable(f"it is damaged ({problems[0]})")
    return version


def _has_tables(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0


def _sync_dir(folder: Path) -> None:
    """Make a new file's directory entry durable too (it is not part of the file's own fsync)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
