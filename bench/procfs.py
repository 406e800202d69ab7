"""A process's memory, read from /proc (Linux)."""

from pathlib import Path


def memory_mb(pid: int, key: str) -> float:
    """A field of /proc/PID/status in MB: "VmRSS", "RssAnon", "VmHWM" (peak RSS)..."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return 0.0
