"""Read-only questions asked of a history database (by progression, safety lines and the CLI)."""

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class PainReport:
    routine: str | None
    exercise: str | None
    set: int | None
    state: str | None
    t: float


@dataclass
class SessionSummary:
    id: int
    started_at: datetime
    routine: str
    ended_at: datetime | None
    end_reason: str | None  # None: no end recorded (still running, or the process died)
    seconds: float  # session time of the last event
    exercises_done: list[str] = field(default_factory=list)
    exercises_skipped: list[str] = field(default_factory=list)
    pain_reports: list[PainReport] = field(default_factory=list)

    @property
    def minutes(self) -> float:
        return self.seconds / 60


@dataclass(frozen=True)
class ExerciseOutcome:
    """How one exercise went in one session."""

    session_id: int
    completed: bool  # finished at least once in the session with every set done, not skipped
    pain: bool  # a pain report named this exercise


def session_summaries(conn: sqlite3.Connection) -> list[SessionSummary]:
    """Every session, oldest first."""
    rows = conn.execute(
        "SELECT s.id, s.started_at, s.routine, s.ended_at, s.end_reason, "
        "coalesce(max(e.t), 0) FROM sessions s LEFT JOIN events e ON e.session_id = s.id "
        "GROUP BY s.id ORDER BY s.id"
    ).fetchall()
    sessions = {
        row[0]: SessionSummary(
            id=row[0],
            started_at=datetime.fromisoformat(row[1]),
            routine=row[2],
            ended_at=datetime.fromisoformat(row[3]) if row[3] else None,
            end_reason=row[4],
            seconds=float(row[5]),
        )
        for row in rows
    }
    for sid, exercise, skipped in conn.execute(
        "SELECT session_id, exercise, skipped FROM exercises_done ORDER BY t"
    ):
        if sid in sessions:
            target = sessions[sid].exercises_skipped if skipped else sessions[sid].exercises_done
            target.append(exercise)
    for sid, routine, exercise, set_, state, t in conn.execute(
        'SELECT session_id, routine, exercise, "set", state, t FROM pain_reports ORDER BY t'
    ):
        if sid in sessions:
            sessions[sid].pain_reports.append(PainReport(routine, exercise, set_, state, t))
    return list(sessions.values())


def session_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM sessions").fetchone()[0]


def recent_pain(conn: sqlite3.Connection, sessions: int) -> list[bool]:
    """For the last `sessions` sessions, newest first: did any pain report come up?"""
    rows = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pain_reports p WHERE p.session_id = s.id) "
        "FROM sessions s ORDER BY s.id DESC LIMIT ?",
        (sessions,),
    )
    return [bool(row[0]) for row in rows]


def exercise_outcomes(conn: sqlite3.Connection, exercise: str) -> list[ExerciseOutcome]:
    """The sessions in which `exercise` was finished or caused pain, oldest first."""
    rows = conn.execute(
        "SELECT s.id, "
        # Read from the events: the exercises_done view predates the completed field (logs
        # written before it lack the field, and count as complete when not skipped).
        "EXISTS (SELECT 1 FROM events e WHERE e.session_id = s.id AND e.type = 'exercise_done' "
        "        AND json_extract(e.json, '$.exercise') = :ex "
        "        AND NOT json_extract(e.json, '$.skipped') "
        "        AND coalesce(json_extract(e.json, '$.completed'), 1)), "
        "EXISTS (SELECT 1 FROM pain_reports p WHERE p.session_id = s.id AND p.exercise = :ex) "
        "FROM sessions s ORDER BY s.id",
        {"ex": exercise},
    )
    return [
        ExerciseOutcome(sid, bool(done), bool(pain)) for sid, done, pain in rows if done or pain
    ]


def session_events(conn: sqlite3.Connection, session_id: int) -> list[str]:
    """The JSON text of a session's events, in order."""
    rows = conn.execute("SELECT json FROM events WHERE session_id = ? ORDER BY id", (session_id,))
    return [row[0] for row in rows]
