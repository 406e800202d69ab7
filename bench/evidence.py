"""What the second opinion heard in every segment it judged: the verdict model's data.

    python -m bench.evidence evidence.jsonl     (about 45 min on 2 cores)
    python -m bench.evidence --replay evidence.jsonl --threshold 0.5

The first runs the default recogniser over the benchmark's streams (the same audio, conditions
and seeds as bench.recognition, less its real-room conditions: those are report only, never
fitted on) and writes one JSON line per segment the second opinion judged:
the stream, the condition, what was said there and in which voice, the decoder's proposal (the
command it decoded, its verification margin, whether weakly verified), both hearings' regret of
every phrase and decoy within reach, and the verdict with each intent's odds. `bench.fit` fits
the verdict model on it. `--replay` judges the logged hearings again under other options
(`SecondOpinion.decide`, the recogniser's own) and prints, for each stream and condition, the
segments right, wrong and false, logged against replayed. A segment counts, not an utterance,
so the figures are near the benchmark's, not equal to them.
"""

import argparse
import json
from collections import Counter
from dataclasses import fields
from pathlib import Path
from typing import Any

from bench import noise
from bench.evaluate import BLOCK, belongs_to
from bench.recognition import _STREAMS, _streams, job_pool, measured, noisy_audio
from bench.streams import Placed
from voicecoach.audio import SAMPLE_RATE
from voicecoach.speech.commands import SESSION, command_for
from voicecoach.speech.engines import make_recognizer
from voicecoach.speech.moonshine.second_opinion import SecondOpinion, SecondOpinionOptions, Weighed
from voicecoach.speech.moonshine.verdict import Model, Proposal


def _row(weighed: Weighed) -> dict[str, Any]:
    segment, proposal, verdict = weighed.segment, weighed.proposal, weighed.verdict
    margin = None if proposal.margin is None else round(proposal.margin, 2)
    return {
        "start": round(segment.speech_start / SAMPLE_RATE, 2),
        "end": round(segment.speech_end / SAMPLE_RATE, 2),
        "decoded": proposal.intent, "margin": margin, "weak": proposal.weak,
        "verdict": verdict.intent if verdict else None,
        "odds": {rated.intent: round(rated.probability, 3) for rated in weighed.rated},
        "hearings": [{p: round(r, 2) for p, r in heard.items()} for heard in weighed.hearings],
    }  # fmt: skip


def proposal(row: dict[str, Any]) -> Proposal:
    """The decoder's proposal a logged row records."""
    return Proposal(row["decoded"], row["margin"], row["weak"])


def _job(job: tuple[str, noise.Condition]) -> list[dict[str, Any]]:
    kind, condition = job
    if condition.report_only:
        raise ValueError(f"{condition.name} is report only: never fitted on")
    stream = _STREAMS[kind]
    audio = noisy_audio(kind, condition)
    recognizer = make_recognizer("pocketsphinx")
    judged: list[dict[str, Any]] = []
    recognizer.second_opinion.observers.append(lambda weighed: judged.append(_row(weighed)))
    for i in range(0, len(audio), BLOCK):
        recognizer.feed(audio[i : i + BLOCK])
    recognizer.flush()
    rows = []
    for row in judged:
        judged = Placed("", "", row["start"], row["end"])
        placed = [p for p in stream.placed if belongs_to(judged, p)]
        said = {"said": [p.text for p in placed], "voices": [p.voice for p in placed]}
        rows.append({"kind": kind, "condition": condition.name, **said, **row})
    return rows


def _outcome(row: dict[str, Any], verdict: str | None) -> str | None:
    """What `verdict` was on this segment: "right", "wrong" (another command than was said),
    "false" (none was said), or None (no command)."""
    if verdict is None:
        return None
    said = [command_for(text) for text in row["said"]]
    if not any(said):
        return "false"
    return "right" if verdict in said else "wrong"


def replay(
    rows: list[dict[str, Any]], options: SecondOpinionOptions, odds: Model | None = None
) -> Counter[tuple]:
    """(kind, condition, outcome, "logged" or "replayed") -> segments."""
    opinion = SecondOpinion(SESSION, options, odds)
    counts: Counter[tuple] = Counter()
    for row in rows:
        verdict = opinion.decide(row["hearings"], proposal(row), row["end"] - row["start"])
        replayed = verdict.intent if verdict else None
        for source, intent in (("logged", row["verdict"]), ("replayed", replayed)):
            if outcome := _outcome(row, intent):
                counts[row["kind"], row["condition"], outcome, source] += 1
    return counts


def _print_replay(rows: list[dict[str, Any]], counts: Counter[tuple]) -> None:
    print("| stream | condition | right | wrong | false |")
    print("|---|---|---|---|---|")
    for kind, condition in dict.fromkeys((row["kind"], row["condition"]) for row in rows):
        cells = [
            f"{counts[kind, condition, outcome, 'logged']} -> "
            f"{counts[kind, condition, outcome, 'replayed']}"
            for outcome in ("right", "wrong", "false")
        ]
        print(f"| {kind} | {condition} | {' | '.join(cells)} |")


THRESHOLDS = [f.name for f in fields(SecondOpinionOptions) if f.name.endswith("threshold")]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="JSON lines file to write, or to replay")
    parser.add_argument("--replay", action="store_true", help="replay FILE under the options")
    for name in THRESHOLDS:
        default = getattr(SecondOpinionOptions(), name)
        parser.add_argument("--" + name.replace("_", "-"), type=float, default=default, help="odds")
    return parser


def jobs(streams: dict) -> list[tuple[str, noise.Condition]]:
    """Each stream in each condition the benchmark measures it in, but for the chatter and the
    real-room conditions: those are held out of everything fitted (report only)."""
    return [
        (kind, condition)
        for kind in streams
        if kind != "chatter"
        for condition in noise.CONDITIONS
        if measured(kind, condition) and not condition.report_only
    ]


def main() -> None:
    args = _parser().parse_args()
    if args.replay:
        options = SecondOpinionOptions(**{name: getattr(args, name) for name in THRESHOLDS})
        with args.file.open() as f:
            rows = [json.loads(line) for line in f]
        _print_replay(rows, replay(rows, options))
        return
    streams = _streams(quick=False, phrases=0)
    todo = jobs(streams)
    with job_pool(2, streams) as pool, args.file.open("w") as f:
        for (kind, condition), rows in zip(todo, pool.map(_job, todo), strict=True):
            f.writelines(json.dumps(row) + "\n" for row in rows)
            print(f"{kind}, {condition.name}: {len(rows)} segments judged", flush=True)


if __name__ == "__main__":
    main()
