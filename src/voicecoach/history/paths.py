"""Where the history database lives, and where a fallback file goes when it is unusable."""

import os
from datetime import datetime
from pathlib import Path

import platformdirs

DB_NAME = "history.sqlite3"


def data_dir() -> Path:
    """`$VOICECOACH_DATA_DIR`, else the XDG data folder (~/.local/share/voicecoach)."""
    if env := os.environ.get("VOICECOACH_DATA_DIR"):
        return Path(env)
    return Path(platformdirs.user_data_dir("voicecoach", appauthor=False))


def default_db_path() -> Path:
    return data_dir() / DB_NAME


def fallback_candidates(primary: Path) -> list[Path]:
    """Earlier fallback files next to `primary`, most recently written first (empty ones, which
    hold nothing, left out)."""
    pattern = f"{primary.stem}-*{primary.suffix}"
    files = [(p, p.stat()) for p in primary.parent.glob(pattern) if p.is_file()]
    written = [(p, stat) for p, stat in files if stat.st_size > 0]
    return [p for p, stat in sorted(written, key=lambda f: f[1].st_mtime, reverse=True)]


def new_fallback_path(primary: Path, now: datetime | None = None) -> Path:
    """A name next to `primary` that no file has yet, e.g. history-20261121-184501.sqlite3."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    path = primary.with_name(f"{primary.stem}-{stamp}{primary.suffix}")
    n = 2
    while path.exists():
        path = primary.with_name(f"{primary.stem}-{stamp}-{n}{primary.suffix}")
        n += 1
    return path
