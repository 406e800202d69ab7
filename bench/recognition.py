"""Recognition benchmark: accuracy in noise, rejection of other speech, latency, CPU.

python -m bench.recognition            # full run, ~45 min on 2 cores
python -m bench.recognition --quick    # 4 voices; 3 conditions, and the real room's 9 on commands
python -m bench.recognition --quick --conditions "music 10 dB" "room 0.6 s, 2 m + pink 20 dB"
python -m bench.recognition --quick --tune --out /tmp/tune   # the real room's tune half
"""

import argparse
import json
import os
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from bench import negatives, noise, report, room, systems, tts
from bench.evaluate import Score, run
from bench.streams import Stream, build
from voicecoach.speech.commands import all_phrases

CACHE = Path(__file__).parent / ".cache"
OUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks"
COACH_ROUTINE = "core-four"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.tune and Path(args.out).resolve() == OUT:
        parser.error("--tune: give --out elsewhere; docs/benchmarks reports the report half only")
    started = time.time()
    streams = _streams(args.quick, args.phrases)
    conditions = _conditions(args.quick, args.conditions, "tune" if args.tune else "report")
    names = args.systems or ["ps-default"]
    if "vosk" not in names and systems.vosk_available() and not args.systems:
        names.append("vosk")
    jobs = [
        (name, condition, kind)
        for name in names
        for condition in conditions
        for kind in streams
        if measured(kind, condition)
    ]
    with job_pool(args.jobs, streams) as pool:
        scores = list(pool.map(_job, jobs))
    results = [
        {"system": name, "condition": condition.name, **asdict(score)}
        for (name, condition, _), score in zip(jobs, scores, strict=True)
    ]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    _save(results, streams, out, args, time.time() - started)
    print(report.summary_table(results))
    if args.tune:
        print("(real-room rows: the TUNE half of room.HALVES, not the reported figures)")
    print(f"took {time.time() - started:.0f} s; report in {out / 'recognition.md'}")
    return 0


def _conditions(
    quick: bool, chosen: list[str] | None = None, half: str = "report"
) -> list[noise.Condition]:
    """The conditions to run (`chosen` by name, else the quick or the full set), each real
    room's recordings (of `half`) decoded; those that cannot be made here are left out with the
    reason."""
    conditions = []
    for condition in noise.CONDITIONS:
        wanted = chosen or (noise.QUICK_CONDITIONS if quick else [condition.name])
        if condition.name not in wanted:
            continue
        if reason := noise.missing(condition):
            print(f"skipped {condition.name}: {reason}")
            continue
        if condition.recorded:
            condition = replace(condition, half=half)
            room.prepare(condition.recorded, half)
        conditions.append(condition)
    return conditions


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.recognition", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer voices and conditions")
    parser.add_argument("--systems", nargs="*", choices=systems.names(), help="default: ps-default")
    parser.add_argument(
        "--phrases", type=int, default=0, help="only the first N phrases (smoke test)"
    )
    parser.add_argument(
        "--conditions",
        nargs="+",
        metavar="NAME",
        choices=[c.name for c in noise.CONDITIONS],
        help="only these conditions (quote each name), e.g. 'music 10 dB'",
    )
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--out", default=str(OUT), help="where recognition.md and the plots go")
    parser.add_argument("--results", help="also write the raw results as JSON here")
    parser.add_argument(
        "--tune",
        action="store_true",
        help="play the real room's tune half (room.HALVES), to tune on; needs --out elsewhere",
    )
    return parser


def _streams(quick: bool, phrases: int) -> dict[str, Stream]:
    """Render (or load from cache) every clip, in this process, before workers start."""
    voices = _voices(quick)
    streams = {"commands": commands_stream(quick, phrases)}
    real = negatives.real_speech_clips()
    streams["real speech"] = build(
        "real speech", real[: 3 if phrases else None], seed=2, gap=(1, 3)
    )
    if short := negatives.short_phrase_clips():
        streams["short phrases"] = build(
            "short phrases", short[: 3 if phrases else None], seed=5, gap=(1, 3)
        )
    if exclamations := negatives.exclamation_clips():
        exclamations = exclamations[: 3 if phrases else None : 5 if quick else 1]
        streams["exclamations"] = build("exclamations", exclamations, seed=7, gap=(1, 3))
    chatter = negatives.chatter_clips(voices)
    streams["chatter"] = build("chatter", chatter[: 2 if phrases else None], seed=3, gap=(1, 3))
    coach: list[tuple[str, str, object]] = []
    for voice in tts.available(tts.COACH_VOICES):
        lines = negatives.coach_clips(voice, COACH_ROUTINE)
        coach += lines[: 5 if phrases else None]
    streams["coach"] = build("coach", coach, seed=4, gap=(0.6, 1.2))  # type: ignore[arg-type]
    return streams


def _voices(quick: bool) -> tuple[tts.Voice, ...]:
    voices = tts.available(tts.BENCH_VOICES)
    return tuple(v for v in voices if v.name in tts.QUICK_VOICES) if quick else voices


def commands_stream(quick: bool, phrases: int = 0) -> Stream:
    """Every phrase (or the first N) said by each voice, shuffled into one stream."""
    texts = all_phrases()[: phrases or None]
    commands = [
        (text, voice.name, tts.render(voice, text)) for voice in _voices(quick) for text in texts
    ]
    return build("commands", _shuffled(commands), seed=1)


def _shuffled(clips: list) -> list:
    import random

    clips = list(clips)
    random.Random(0).shuffle(clips)
    return clips


_STREAMS: dict[str, Stream] = {}


def job_pool(workers: int, streams: dict[str, Stream]) -> ProcessPoolExecutor:
    """Workers that each take one job: a recogniser's decoders are shared within a process and
    keep adapting to what they hear, so a job in a used worker depends on the jobs before it."""
    return ProcessPoolExecutor(
        workers, initializer=_init, initargs=(streams,), max_tasks_per_child=1
    )


def _init(streams: dict[str, Stream]) -> None:
    _STREAMS.update(streams)


def measured(kind: str, condition: noise.Condition) -> bool:
    """Whether stream `kind` is measured in `condition`: the coach's long stream in two only,
    the real-room conditions on commands only."""
    if condition.report_only:
        return kind == "commands"
    return kind != "coach" or condition.name in ("clean", "pink 10 dB")


def noisy_audio(kind: str, condition: noise.Condition) -> np.ndarray:
    """Stream `kind` (of this worker's) under `condition`, with the same noise in every run."""
    return under(condition, _STREAMS[kind])


def under(condition: noise.Condition, stream: Stream) -> np.ndarray:
    """`stream` under `condition`, with the same noise in every run."""
    seed = zlib.crc32(condition.name.encode())
    return noise.apply(condition, stream.audio, stream.speech_power, seed=seed)


def _job(job: tuple[str, noise.Condition, str]) -> Score:
    name, condition, kind = job
    return run(systems.factory(name), _STREAMS[kind], noisy_audio(kind, condition), kind)


def _save(results: list[dict], streams: dict[str, Stream], out: Path, args, seconds: float) -> None:
    if args.results:
        Path(args.results).write_text(json.dumps(results, indent=1))
    (CACHE / "last-results.json").parent.mkdir(parents=True, exist_ok=True)
    (CACHE / "last-results.json").write_text(json.dumps(results, indent=1))
    report.write(results, streams, out, quick=args.quick, seconds=seconds)


if __name__ == "__main__":
    raise SystemExit(main())
