"""`voicecoach history`: the workout log as a table, JSON Lines, or a plot."""

import argparse
import json
import sys
from pathlib import Path

from voicecoach.errors import UserError
from voicecoach.history.db import Unusable, open_for_reading
from voicecoach.history.paths import default_db_path, fallback_candidates
from voicecoach.history.queries import SessionSummary, session_summaries

CHART_NAME = "voicecoach-history.png"
EMPTY = "No workouts recorded yet. Start one with: voicecoach run ROUTINE"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("history", help="show past workouts")
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per session, oldest first"
    )
    parser.add_argument("--plot", type=Path, metavar="FILE.png", help="save a chart of sessions")
    parser.add_argument("--db", type=Path, metavar="PATH", help="history database to read")
    parser.set_defaults(handler=show_history)


def show_history(args: argparse.Namespace) -> int:
    path = args.db or default_db_path()
    if args.db and not path.exists():
        raise UserError(f"{path}: no such history file")
    sessions = read_sessions(path)
    if not sessions:
        print(EMPTY, file=sys.stderr if args.json else sys.stdout)
    elif args.json:
        for session in sessions:
            print(json.dumps(session_json(session)))
    elif not args.plot:
        print_table(sessions)
    if sessions and args.plot:
        chart = chart_path(args.plot)
        save_plot(sessions, chart)
        if not args.json:
            print(f"Saved a chart of {len(sessions)} sessions to {chart}")
    if others := fallback_files(path):
        print(f"(more sessions in files next to it: {others}; read one with --db)", file=sys.stderr)
    return 0


def read_sessions(path: Path) -> list[SessionSummary]:
    try:
        conn = open_for_reading(path)
    except Unusable as error:
        hint = f"; later sessions may be in {others}" if (others := fallback_files(path)) else ""
        raise UserError(f"{path}: cannot read history ({error}){hint}") from None
    if conn is None:
        return []
    try:
        return session_summaries(conn)
    finally:
        conn.close()


def chart_path(path: Path) -> Path:
    """Where the chart goes: into a folder as voicecoach-history.png, else the file named (a
    name without an extension gets .png, as matplotlib would add without saying so)."""
    if path.is_dir():
        return path / CHART_NAME
    return path if path.suffix else path.with_name(f"{path.name}.png")


def save_plot(sessions: list[SessionSummary], path: Path) -> None:
    from voicecoach.history.plot import plot_sessions  # matplotlib loads only when asked for

    try:
        plot_sessions(sessions, path)
    except (OSError, ValueError) as error:
        raise UserError(f"{path}: cannot save the chart ({error})") from None


def fallback_files(path: Path) -> str:
    """Files that sessions were logged to while `path` was unusable, as a list of names."""
    others = fallback_candidates(path) if path.parent.is_dir() else []
    return ", ".join(p.name for p in others)


def session_json(session: SessionSummary) -> dict:
    return {
        "id": session.id,
        "started_at": session.started_at.isoformat(),
        "ended_at": session.ended_at.isoformat() if session.ended_at else None,
        "routine": session.routine,
        "minutes": round(session.minutes, 2),
        "exercises_done": session.exercises_done,
        "exercises_skipped": session.exercises_skipped,
        "pain_reports": [
            {"routine": p.routine, "exercise": p.exercise, "set": p.set, "state": p.state, "t": p.t}
            for p in session.pain_reports
        ],
        "end_reason": session.end_reason,  # null: no end recorded (killed, or still running)
    }


def print_table(sessions: list[SessionSummary]) -> None:
    width = max(len("routine"), *(len(s.routine) for s in sessions))
    print(
        f"{'date':<16}  {'routine':<{width}}  {'min':>5}  {'done':>4}  {'skip':>4}  "
        f"{'pain':>4}  end"
    )
    for s in sessions:
        print(
            f"{s.started_at.astimezone():%Y-%m-%d %H:%M}  {s.routine:<{width}}  "
            f"{s.minutes:>5.1f}  {len(s.exercises_done):>4}  {len(s.exercises_skipped):>4}  "
            f"{len(s.pain_reports):>4}  {s.end_reason or 'unfinished'}"
        )
