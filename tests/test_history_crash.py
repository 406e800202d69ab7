"""kill -9 in the middle of a stream of events: every committed event survives, file intact."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from voicecoach.history.store import HistoryStore

SRC = Path(__file__).resolve().parents[1] / "src"

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from voicecoach.coach.events import SetDone
    from voicecoach.history.store import HistoryStore

    store = HistoryStore(Path(sys.argv[1]))
    store.start_session("crash-test")
    n = 0
    while True:
        store.record(SetDone(float(n), "crash-test", "bridge", n, None, n, 1.5, True))
        n += 1
        print(n, flush=True)  # n events are committed
    """
)


def run_and_kill(db: Path, script: Path, after: int) -> int:
    """Start the writer, SIGKILL it once it reports `after` commits; the last count it printed."""
    env = os.environ | {"PYTHONPATH": str(SRC)}
    child = subprocess.Popen(
        [sys.executable, str(script), str(db)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    last = 0
    for line in child.stdout:
        last = int(line)
        if last >= after:
            break
    child.send_signal(signal.SIGKILL)
    rest = child.stdout.read().split()  # lines already in the pipe when it died
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    return int(rest[-1]) if rest else last


def test_sigkill_loses_nothing_committed(tmp_path: Path) -> None:
    rounds = 3
    db = tmp_path / "history.sqlite3"
    script = tmp_path / "writer.py"
    script.write_text(CHILD)
    printed: list[int] = []
    for i in range(rounds):
        printed.append(run_and_kill(db, script, after=50 + 40 * i))
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        sid = conn.execute("SELECT max(id) FROM sessions").fetchone()[0]
        reps = [
            r
            for (r,) in conn.execute(
                "SELECT reps FROM sets_done WHERE session_id = ? ORDER BY t", (sid,)
            )
        ]
        conn.close()
        # Every event the writer saw committed is there; at most the one in flight is not.
        assert reps[: printed[-1]] == list(range(printed[-1]))
        assert len(reps) in (printed[-1], printed[-1] + 1)
    with HistoryStore(db) as store:  # the file opens cleanly; the killed sessions have no end
        sessions = store.sessions()
    assert len(sessions) == rounds
    assert all(s.end_reason is None for s in sessions)
