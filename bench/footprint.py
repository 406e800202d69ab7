"""CPU and memory of `voicecoach serve`: idle listening, then a running session.

    python -m bench.footprint        (about 3 minutes; needs pulseaudio, as the tests do)

Runs the real program against the tests' private PulseAudio room, speaks "start workout" and
"no pain" into it, and samples /proc. Writes docs/benchmarks/footprint.md.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from voicecoach.speech.speakers import make_speaker  # noqa: E402
from voicecoach.speech.wavio import write_wav  # noqa: E402

from audio_stack import PulseRoom  # noqa: E402  (the tests' room, reused as-is)

OUT = ROOT / "docs" / "benchmarks" / "footprint.md"
TICKS = os.sysconf("SC_CLK_TCK")
MEASURE_SECONDS = 60


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def memory_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(pid: int, seconds: float) -> tuple[float, float]:
    """Share of one core used over `seconds`, and resident memory at the end (MB)."""
    cpu, wall = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    share = (cpu_seconds(pid) - cpu) / (time.monotonic() - wall)
    return share, memory_mb(pid, "VmRSS")


def main() -> None:
    room = PulseRoom()
    os.environ.update(room.env)
    room.start()
    folder = Path(tempfile.mkdtemp())
    voice = make_speaker("espeak:en-us")
    for phrase in ("start workout", "no pain"):
        write_wav(folder / f"{phrase}.wav", *voice.render(phrase))
    env = os.environ | {"VOICECOACH_DATA_DIR": str(folder), "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen(
        [sys.executable, "-m", "voicecoach", "serve", "--engine", "pocketsphinx",
         "--routine", "five-strengthening"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        time.sleep(15)  # start-up: imports, decoder, first device open
        idle = measure(server.pid, MEASURE_SECONDS)
        room.play(folder / "start workout.wav")
        time.sleep(8)
        room.play(folder / "no pain.wav")
        time.sleep(10)
        session = measure(server.pid, MEASURE_SECONDS)
        peak = memory_mb(server.pid, "VmHWM")
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
        room.stop()
    rows = [("idle listening", *idle), ("running session", *session)]
    table = "\n".join(f"| {name} | {cpu * 100:.1f}% | {rss:.0f} MB |" for name, cpu, rss in rows)
    OUT.write_text(
        "# Footprint of `voicecoach serve`\n\n"
        f"`python -m bench.footprint`: {MEASURE_SECONDS} s each, PocketSphinx, espeak-ng voice,\n"
        "through the tests' PulseAudio room. Target for a Pi 4: under 25% of one core and\n"
        "under 300 MB.\n\n"
        "| phase | CPU (one core) | memory (RSS) |\n|---|---|---|\n"
        f"{table}\n\npeak memory (VmHWM): {peak:.0f} MB\n"
    )
    print(OUT.read_text())


if __name__ == "__main__":
    main()
