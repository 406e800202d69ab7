"""The session engine on the live clock: does a 60 s hold last 60 s, does counting keep tempo?

    python -m bench.session_timing        (about 100 s of wall time)

Writes docs/benchmarks/session-timing.md. The engine runs through the same Driver as a live
session, with a fixed speech-length estimate; times are taken when each line is delivered.
"""

import itertools
import statistics
import tempfile
import time
from pathlib import Path

from voicecoach.coach.clock import RealClock
from voicecoach.coach.driver import Driver
from voicecoach.coach.events import Event, Say
from voicecoach.coach.session import Session
from voicecoach.routines import load_library

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "session-timing.md"
HOLD_SECONDS = 60
TEMPO_SECONDS = 3
REPS = 10

EXERCISE = """id: {id}
name: {id}
kind: strength
equipment: [mat]
level: beginner
sources: [bench]
instructions: [Get ready.]
dosage: {dosage}
"""
ROUTINE = """id: timing
name: Timing
source: bench
level: beginner
fallback: null
rest_between_exercises: 0
exercises: [{exercise: hold}, {exercise: reps}]
"""


def timing_library(folder: Path):
    (folder / "exercises").mkdir()
    dosages = {
        "hold": f"{{reps: 1, hold_seconds: {HOLD_SECONDS}}}",
        "reps": f"{{reps: {REPS}, tempo_seconds: {TEMPO_SECONDS}}}",
    }
    for name, dosage in dosages.items():
        (folder / "exercises" / f"{name}.yaml").write_text(EXERCISE.format(id=name, dosage=dosage))
    (folder / "timing.yaml").write_text(ROUTINE)
    return load_library(folder)


def measure() -> dict[str, float]:
    said: list[tuple[float, str]] = []

    def record(event: Event) -> None:
        if isinstance(event, Say):
            said.append((time.monotonic(), event.text))

    with tempfile.TemporaryDirectory() as folder:
        library = timing_library(Path(folder))
    session = Session(library, library.routines["timing"], speech_seconds=lambda text: 0.4)
    Driver(session, RealClock(), record).run()
    texts = [text for _, text in said]
    hold = said[texts.index("Relax.")][0] - said[texts.index("Hold.")][0]
    counts = [t for t, text in said if text in {f"{n}." for n in range(1, REPS + 1)}][-REPS:]
    gaps = [b - a for a, b in itertools.pairwise(counts)]
    return {
        "hold": hold,
        "hold_error": hold - HOLD_SECONDS,
        "tempo_mean": statistics.mean(gaps),
        "tempo_worst": max(abs(g - TEMPO_SECONDS) for g in gaps),
    }


def main() -> None:
    result = measure()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        "# Session engine on the live clock\n\n"
        "`python -m bench.session_timing` (real clock, speed 1)\n\n"
        "| measure | target | measured |\n|---|---|---|\n"
        f"| {HOLD_SECONDS} s hold, 'Hold.' to 'Relax.' | within 0.1 s "
        f"| {result['hold']:.3f} s (error {result['hold_error'] * 1000:+.1f} ms) |\n"
        f"| rep count every {TEMPO_SECONDS} s, mean interval | {TEMPO_SECONDS} s "
        f"| {result['tempo_mean']:.4f} s |\n"
        f"| rep count, worst interval error | small | {result['tempo_worst'] * 1000:.1f} ms |\n"
    )
    print(OUT.read_text())


if __name__ == "__main__":
    main()
