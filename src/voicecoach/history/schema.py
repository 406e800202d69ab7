"""The history database schema. `PRAGMA user_version` holds the schema version.

end_reason also takes "terminated" (SIGTERM) and "hangup" (SIGHUP): see voicecoach/signals.py.
Events are stored whole as JSON (the engine's `to_json()`); the per-kind tables are views over
them, so a new event field never needs a migration and nothing is written twice.
"""

import sqlite3

SCHEMA_VERSION = 1

# MIGRATIONS[n] takes a database from version n to n + 1.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,   -- wall clock, ISO 8601 with UTC offset
        routine TEXT NOT NULL,      -- the routine the session started with
        ended_at TEXT,              -- NULL: still running, or the process died
        end_reason TEXT             -- completed | ended | pain | interrupted
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        t REAL NOT NULL,            -- session seconds
        type TEXT NOT NULL,
        json TEXT NOT NULL
    );
    CREATE INDEX events_by_session ON events(session_id, type);
    CREATE VIEW sets_done AS
        SELECT session_id, t,
               json_extract(json, '$.routine') AS routine,
               json_extract(json, '$.exercise') AS exercise,
               json_extract(json, '$.set') AS "set",
               json_extract(json, '$.side') AS side,
               json_extract(json, '$.reps') AS reps,
               json_extract(json, '$.seconds') AS seconds,
               json_extract(json, '$.completed') AS completed
        FROM events WHERE type = 'set_done';
    CREATE VIEW exercises_done AS
        SELECT session_id, t,
               json_extract(json, '$.routine') AS routine,
               json_extract(json, '$.exercise') AS exercise,
               json_extract(json, '$.skipped') AS skipped
        FROM events WHERE type = 'exercise_done';
    CREATE VIEW commands_heard AS
        SELECT session_id, t,
               json_extract(json, '$.command') AS command,
               json_extract(json, '$.text') AS text
        FROM events WHERE type = 'command';
    CREATE VIEW pain_reports AS
        SELECT session_id, t,
               json_extract(json, '$.routine') AS routine,
               json_extract(json, '$.exercise') AS exercise,
               json_extract(json, '$.set') AS "set",
               json_extract(json, '$.state') AS state
        FROM events WHERE type = 'pain';
    """,
]
assert len(MIGRATIONS) == SCHEMA_VERSION


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """Bring a database at `version` up to SCHEMA_VERSION, one transaction per step.

    `conn` is in autocommit mode (isolation_level=None): transactions are explicit. The version
    is read again inside each transaction: another VoiceCoach started at the same moment may
    have taken the same steps while this one waited for the lock.
    """
    while version < SCHEMA_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version < SCHEMA_VERSION:
                for statement in _statements(MIGRATIONS[version]):
                    conn.execute(statement)
                version += 1
                conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _statements(script: str) -> list[str]:
    # executescript() would commit on its own; splitting keeps each step one transaction.
    return [s.strip() for s in script.split(";") if s.strip()]
