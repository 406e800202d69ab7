"""CPU and memory of `voicecoach serve`: idle listening, then a running session.

    python -m bench.footprint        (about 5 minutes; needs pulseaudio, as the tests do)

Runs the real program against the tests' private PulseAudio room, speaks "start workout" and
"no pain" into it, and samples /proc; stops if the session never began. Writes
docs/benchmarks/footprint.md.
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

from bench.procfs import memory_mb  # noqa: E402
from voicecoach.audio.wavio import write_wav  # noqa: E402
from voicecoach.voices.speakers import make_speaker  # noqa: E402

from audio_stack import PulseRoom  # noqa: E402  (the tests' room, reused as-is)

OUT = ROOT / "docs" / "benchmarks" / "footprint.md"
TICKS = os.sysconf("SC_CLK_TCK")
MEASURE_SECONDS = 60


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def measure(pid: int, seconds: float) -> tuple[float, float, float]:
    """Share of one core used over `seconds`; resident and anonymous memory at the end (MB).

    The rest of resident memory is file pages (libraries, mapped model files): clean, so the
    kernel can drop them under pressure and read them back."""
    cpu, wall = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    share = (cpu_seconds(pid) - cpu) / (time.monotonic() - wall)
    return share, memory_mb(pid, "VmRSS"), memory_mb(pid, "RssAnon")


CONFIGURATIONS = {"default": [], "no second opinion": ["--no-second-opinion"]}


def main() -> None:
    # Started as a background job (`... &`), this process has SIGINT ignored and the server
    # would inherit that and never stop; with a handler here, it starts with the default.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    room = PulseRoom()
    os.environ.update(room.env)
    room.start()
    try:
        folder = Path(tempfile.mkdtemp())
        voice = make_speaker("espeak:en-us")
        for phrase in ("start workout", "no pain"):
            write_wav(folder / f"{phrase}.wav", *voice.render(phrase))
        rows = [row for name, extra in CONFIGURATIONS.items()
                for row in measure_serve(room, folder, name, extra)]  # fmt: skip
    finally:
        room.stop()
    table = "\n".join(
        f"| {name} | {phase} | {cpu * 100:.1f}% | {rss:.0f} MB | {anon:.0f} MB | {peak:.0f} MB |"
        for name, phase, cpu, rss, anon, peak in rows
    )
    OUT.write_text(
        "# Footprint of `voicecoach serve`\n\n"
        f"`python -m bench.footprint`: {MEASURE_SECONDS} s each, PocketSphinx, espeak-ng voice,\n"
        "through the tests' PulseAudio room. Target for a Pi 4: under 25% of one core and\n"
        "under 300 MB. Anonymous memory is the process's own; the rest of RSS is libraries and\n"
        "model files mapped from disk, which the kernel can drop and read back.\n\n"
        "| configuration | phase | CPU (one core) | RSS | of which anonymous | peak RSS |\n"
        f"|---|---|---|---|---|---|\n{table}\n"
    )
    print(OUT.read_text())


def measure_serve(
    room: PulseRoom, clips: Path, name: str, extra: list[str]
) -> list[tuple[str, str, float, float, float, float]]:
    """Idle and in-session rows for `voicecoach serve` with `extra` arguments; the spoken
    clips are in `clips`, and the run's history and log go in a folder of its own there."""
    data = clips / name
    data.mkdir()
    env = os.environ | {"VOICECOACH_DATA_DIR": str(data), "PYTHONPATH": str(ROOT / "src")}
    log = data / "serve.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "voicecoach", "serve", "--engine", "pocketsphinx",
         "--routine", "five-strengthening", *extra],
        env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        time.sleep(15)  # start-up: imports, decoder, first device open
        idle = measure(server.pid, MEASURE_SECONDS)
        room.play(clips / "start workout.wav")
        time.sleep(8)
        room.play(clips / "no pain.wav")
        time.sleep(10)
        session = measure(server.pid, MEASURE_SECONDS)
        peak = memory_mb(server.pid, "VmHWM")
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    if "Exercise 1 of" not in log.read_text():
        sys.exit(f"bench.footprint: the session never started, so nothing was measured; see {log}")
    return [(name, "idle listening", *idle, peak), (name, "running session", *session, peak)]


if __name__ == "__main__":
    main()
