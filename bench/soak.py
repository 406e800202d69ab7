"""A day of `serve` listening, faster than real time: memory, CPU, files and threads stay flat.

    python -m bench.soak                 8 hours of room audio (about 45 min on one core here)
    python -m bench.soak --hours 1

The chain is the one `serve` and `listen` build from the default settings (make_recognizer,
Listener). Each hour of audio: 10 min of commands said over music at 10 dB, 20 min of a quiet room
(pink noise at a low level), 10 min of commands over two people talking at 10 dB, 20 min quiet:
a room speaker idles most of the day. The same hour repeats, so a leak shows as growth from one
hour to the next. Samples RSS, anonymous memory, CPU, open files and threads every half hour of
audio, and writes docs/benchmarks/soak.md.
"""

import argparse
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bench import noise
from bench.procfs import memory_mb
from bench.recognition import _conditions, commands_stream, under
from voicecoach.audio.outputs import SilentOutput
from voicecoach.settings import Settings
from voicecoach.speech.engines import make_recognizer
from voicecoach.speech.listener import Listener

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "soak.md"
RATE = 16_000
BLOCK = RATE // 10  # the microphone's 100 ms
QUIET_DBFS = -60  # the quiet room's noise level
SAMPLE_EVERY = 30 * 60  # seconds of audio between samples
MAX_GROWTH_MB = 10  # of anonymous memory from the first full hour to the last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    busy = busy_parts()
    settings = Settings()
    recognizer = make_recognizer(
        settings.engine, settings.vosk_model, second_opinion=settings.second_opinion
    )
    listener = Listener(recognizer, SilentOutput(), settings.echo_cancel)
    samples = soak(listener, busy, args.hours)
    args.out.write_text(report(samples, args.hours, recognizer.name))
    print(args.out.read_text())
    return 0 if flat(samples) else 1


def busy_parts() -> list[np.ndarray]:
    """The quick benchmark's commands under the report half's music and talk, 10 dB."""
    stream = commands_stream(quick=True)
    return [under(c, stream) for c in _conditions(False, ["music 10 dB", "babble 10 dB"])]


def hour(busy: list[np.ndarray], rng: np.random.Generator) -> Iterator[np.ndarray]:
    """One hour of audio in 100 ms blocks: each busy part cut or padded to 10 min, then 20 quiet."""
    level = 32768 * 10 ** (QUIET_DBFS / 20)
    for part in busy:
        ten = np.resize(part, 600 * RATE)
        yield from (ten[i : i + BLOCK] for i in range(0, len(ten), BLOCK))
        for _ in range(1200 * RATE // BLOCK):
            yield (noise.coloured_noise("pink", BLOCK, rng) * level).astype(np.int16)


def soak(listener: Listener, busy: list[np.ndarray], hours: float) -> list[dict]:
    rng = np.random.default_rng(0)
    blocks = round(hours * 3600 * RATE / BLOCK)
    samples = [sample(0.0, 0, time.process_time())]
    heard, at = 0, 0.0
    for i in range(blocks):
        if i % (3600 * RATE // BLOCK) == 0:
            audio = hour(busy, rng)
        heard += len(listener.hear(next(audio), at))
        at = (i + 1) * BLOCK / RATE
        if round(at * 10) % (SAMPLE_EVERY * 10) == 0:
            samples.append(sample(at, heard, samples[-1]["cpu"]))
            print(samples[-1], flush=True)
            heard = 0
    return samples


def sample(at: float, heard: int, cpu_before: float) -> dict:
    pid = os.getpid()
    status = Path(f"/proc/{pid}/status").read_text()
    threads = int(
        next(line for line in status.splitlines() if line.startswith("Threads")).split()[1]
    )
    cpu = time.process_time()
    return {
        "hours": at / 3600, "rss_mb": memory_mb(pid, "VmRSS"), "anon_mb": memory_mb(pid, "RssAnon"),
        "cpu": cpu, "share": (cpu - cpu_before) / SAMPLE_EVERY if at else 0.0,
        "files": len(os.listdir(f"/proc/{pid}/fd")), "threads": threads, "heard": heard,
    }  # fmt: skip


def flat(samples: list[dict]) -> bool:
    """Anonymous memory grows less than MAX_GROWTH_MB from the first whole hour to the end; open
    files and threads end where they were after the first hour."""
    first = next((s for s in samples if s["hours"] >= 1), None)
    if first is None:
        return True
    last = samples[-1]
    return (
        last["anon_mb"] - first["anon_mb"] < MAX_GROWTH_MB
        and last["files"] <= first["files"]
        and last["threads"] <= first["threads"]
    )


def report(samples: list[dict], hours: float, name: str) -> str:
    lines = [
        "# A day of listening",
        "",
        f"`python -m bench.soak --hours {hours:g}`: {hours:g} hours of room audio through the "
        f"default chain ({name}), as fast as this machine runs it (bench/soak.py says what the "
        "audio is). CPU is the share of one core the listening would take in real time here.",
        "",
        "| hours of audio | RSS MB | anonymous MB | CPU share | open files | threads | commands |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in samples:
        lines.append(
            f"| {s['hours']:.1f} | {s['rss_mb']:.0f} | {s['anon_mb']:.0f} | {s['share']:.1%} "
            f"| {s['files']} | {s['threads']} | {s['heard']} |"
        )
    verdict = "flat" if flat(samples) else "**not flat**"
    lines += ["", f"Verdict: {verdict} (anonymous memory may grow < {MAX_GROWTH_MB} MB after the "
              "first hour; open files and threads may not grow)."]  # fmt: skip
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
