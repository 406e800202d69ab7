"""Several VoiceCoach processes at once, and a history in a folder that cannot be written."""

import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from voicecoach.history import db
from voicecoach.history.db import open_for_writing
from voicecoach.history.schema import SCHEMA_VERSION, migrate

SRC = Path(__file__).resolve().parents[1] / "src"
ENV = os.environ | {"PYTHONPATH": str(SRC)}


def start_workout(data_dir: Path) -> subprocess.Popen[str]:
    """A text workout that ends at once: the race is in setting up the new database."""
    child = subprocess.Popen(
        [sys.executable, "-m", "voicecoach", "run", "core-four", "--text"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env=ENV | {"VOICECOACH_DATA_DIR": str(data_dir)},
    )  # fmt: skip
    return child


def test_a_migration_another_process_finished_meanwhile_is_not_done_twice(
    tmp_path: Path,
) -> None:
    """The race, made certain: B saw a new, empty file (version 0), then A set it up while B
    waited for the write lock. B must find the tables there, not create them again."""
    path = tmp_path / "history.sqlite3"
    first = open_for_writing(path)  # A
    second = sqlite3.connect(path, isolation_level=None)  # B, which read version 0 earlier
    migrate(second, 0)
    assert second.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    second.close()
    first.close()


def test_a_file_set_up_while_it_is_inspected_is_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other race, made certain: B reads version 0 from a file A has just made, then A
    commits its tables before B looks for tables. B must not call the file foreign."""
    path = tmp_path / "history.sqlite3"
    with closing(sqlite3.connect(path, isolation_level=None)) as a:
        a.execute("PRAGMA journal_mode = WAL")  # A's state just before it migrates
    a = sqlite3.connect(path, isolation_level=None)
    read_only = db._read_only

    def racing(target: Path) -> sqlite3.Connection:
        conn = read_only(target)

        def between(statement: str) -> None:
            if "sqlite_master" in statement and a.execute("PRAGMA user_version").fetchone()[0] == 0:
                migrate(a, 0)

        conn.set_trace_callback(between)
        return conn

    monkeypatch.setattr(db, "_read_only", racing)
    second = open_for_writing(path)  # B
    assert second.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    assert a.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)  # A did set it up
    second.close()
    a.close()


@pytest.mark.parametrize("attempt", range(3))
def test_first_runs_started_together_share_one_new_database(tmp_path: Path, attempt: int) -> None:
    children = [start_workout(tmp_path) for _ in range(4)]
    for child in children:
        _, err = child.communicate("end workout\n", timeout=120)
        assert child.returncode == 0 and err == "", err  # no warning, no fallback
    assert sorted(p.name for p in tmp_path.glob("*.sqlite3")) == ["history.sqlite3"]
    with closing(sqlite3.connect(tmp_path / "history.sqlite3")) as conn:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone() == (4,)


def read_only_mount(folder: Path) -> list[str]:
    """A prefix that runs a command with `folder` read-only: a mount of its own as root (who may
    write anywhere else), or the folder's mode otherwise."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return []
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux) to make a read-only folder as root")
    mount = 'mount --bind -o ro "$0" "$0" && exec "$@"'
    prefix = ["unshare", "-m", "sh", "-c", mount, str(folder)]
    if subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot make a read-only mount here (no CAP_SYS_ADMIN)")
    return prefix


def test_history_in_a_read_only_folder_can_be_read(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = start_workout(data)
    assert done.communicate("end workout\n", timeout=120)[1] == ""
    before = sorted(p.name for p in data.iterdir())
    assert before == ["history.sqlite3"]  # the writer tidied its -wal and -shm away
    db = data / "history.sqlite3"
    prefix = read_only_mount(data)
    shown = subprocess.run(
        [*prefix, sys.executable, "-m", "voicecoach", "history", "--db", str(db), "--json"],
        capture_output=True, text=True, env=ENV, timeout=60,
    )  # fmt: skip
    data.chmod(0o700)
    assert shown.returncode == 0, shown.stderr
    assert '"routine": "core-four"' in shown.stdout
    assert sorted(p.name for p in data.iterdir()) == before
