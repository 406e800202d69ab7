"""A process's memory, read from /proc (Linux)."""

from pathlib import Path


def memory_mb(pid: int, key: str) -> float:
    """A field of /proc/PID/status in MB: "VmRSS", "RssAnon", "VmHWM" (peak RSS)..."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> None:
    """Start this process's VmHWM afresh from its present RSS (Linux 4.0 and later)."""
    Path("/proc/self/clear_refs").write_text("5")
