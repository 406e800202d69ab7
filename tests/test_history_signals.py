"""However a text workout is stopped, the history records how it ended."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.mark.parametrize(
    ("signum", "reason", "code"),
    [
        (signal.SIGINT, "interrupted", 130),
        (signal.SIGTERM, "terminated", 143),
        (signal.SIGHUP, "hangup", 129),
    ],
)
def test_a_signal_mid_workout_is_recorded_as_the_end(
    tmp_path: Path, signum: int, reason: str, code: int
) -> None:
    env = os.environ | {"PYTHONPATH": str(SRC), "VOICECOACH_DATA_DIR": str(tmp_path)}
    child = subprocess.Popen(
        [sys.executable, "-m", "voicecoach", "run", "core-four", "--text", "--json"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    assert child.stdout is not None and child.stdin is not None
    first = json.loads(child.stdout.readline())  # the session is open and logged
    assert first["type"] == "routine"
    child.send_signal(signum)
    _, err = child.communicate(timeout=30)
    assert child.returncode == code and b"Traceback" not in err, err
    with closing(sqlite3.connect(tmp_path / "history.sqlite3")) as conn:
        rows = conn.execute("SELECT end_reason, ended_at IS NOT NULL FROM sessions").fetchall()
    assert rows == [(reason, 1)]
