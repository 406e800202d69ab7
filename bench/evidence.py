"""What the second opinion heard in every segment it judged, to try its rules offline.

    python -m bench.evidence evidence.jsonl     (about 45 min on 2 cores)
    python -m bench.evidence --replay evidence.jsonl --alone 3.5 --agree-weak 5

The first runs the default recogniser over the benchmark's streams (the same audio, conditions
and seeds as bench.recognition) and writes one JSON line per segment the second opinion judged:
the stream, the condition, what was said there, the decoder's proposal and trust, the verdict
and the rule that gave it, and each hearing's regret of every phrase and decoy within reach
(decoys followed as far as phrases, so that a looser rule can be replayed too).
The second replays those hearings under other options (`SecondOpinionOptions`; the rule itself
is `SecondOpinion.decide`, the recogniser's own) and prints, for each stream and condition, the
segments right, wrong and false, logged against replayed. A segment counts, not an utterance,
so the figures are near the benchmark's, not equal to them; regrets are logged to hundredths, so
now and then a replay under the same options turns a verdict at a threshold.
"""

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from bench import noise
from bench.evaluate import BLOCK, belongs_to
from bench.recognition import _STREAMS, _streams, job_pool, measured, noisy_audio
from bench.streams import Placed
from voicecoach.speech.commands import SESSION, command_for
from voicecoach.speech.engines import make_recognizer
from voicecoach.speech.phrase_scorer import PhraseRegret, PhraseScorer
from voicecoach.speech.recognizer import SAMPLE_RATE
from voicecoach.speech.second_opinion import SecondOpinion, SecondOpinionOptions, Trust
from voicecoach.speech.segmenter import Segment

_judged: list[dict[str, Any]] = []  # this worker's segments, in the order judged
_judge = SecondOpinion.judge


def _judge_and_log(
    self: SecondOpinion,
    segment: Segment,
    proposed: str | None,
    trust: Trust = Trust.VERIFIED,
    unsuppressed: np.ndarray | None = None,
) -> PhraseRegret | None:
    verdict = _judge(self, segment, proposed, trust, unsuppressed)
    _judged.append({
        "start": round(segment.speech_start / SAMPLE_RATE, 2),
        "end": round(segment.speech_end / SAMPLE_RATE, 2),
        "proposed": proposed, "trust": trust.name,
        "verdict": verdict.intent if verdict else None, "rule": self.rule if verdict else None,
        "hearings": [{p: round(r, 2) for p, r in heard.items()} for heard in self.hearings],
    })  # fmt: skip
    return verdict


def _job(job: tuple[str, noise.Condition]) -> list[dict[str, Any]]:
    kind, condition = job
    SecondOpinion.judge = _judge_and_log  # type: ignore[method-assign]
    stream = _STREAMS[kind]
    audio = noisy_audio(kind, condition)
    recognizer = make_recognizer("pocketsphinx")
    # Decoys followed as far as phrases, so that a looser rule can be replayed. The verdicts
    # stay the recogniser's (regrets move by hundredths of a nat with the decoder's batch).
    opinion = recognizer._second_opinion  # type: ignore[attr-defined]
    opinion._scorer = PhraseScorer(opinion._scorer.table, opinion.reach)
    _judged.clear()
    for i in range(0, len(audio), BLOCK):
        recognizer.feed(audio[i : i + BLOCK])
    recognizer.flush()
    rows = []
    for row in _judged:
        judged = Placed("", "", row["start"], row["end"])
        said = [p.text for p in stream.placed if belongs_to(judged, p)]
        rows.append({"kind": kind, "condition": condition.name, "said": said, **row})
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


def replay(rows: list[dict[str, Any]], options: SecondOpinionOptions) -> Counter[tuple]:
    """(kind, condition, outcome, "logged" or "replayed") -> segments."""
    opinion = SecondOpinion(SESSION, options)
    counts: Counter[tuple] = Counter()
    for row in rows:
        verdict = opinion.decide(row["hearings"], row["proposed"], Trust[row["trust"]])
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="JSON lines file to write, or to replay")
    parser.add_argument("--replay", action="store_true", help="replay FILE under the options")
    for name, default in SecondOpinionOptions().thresholds().items():
        parser.add_argument("--" + name.replace("_", "-"), type=float, default=default, help="nats")
    return parser


def main() -> None:
    args = _parser().parse_args()
    if args.replay:
        thresholds = SecondOpinionOptions().thresholds()
        options = SecondOpinionOptions(**{name: getattr(args, name) for name in thresholds})
        with args.file.open() as f:
            rows = [json.loads(line) for line in f]
        _print_replay(rows, replay(rows, options))
        return
    streams = _streams(quick=False, phrases=0)
    jobs = [
        (kind, condition)
        for kind in streams
        if kind != "chatter"
        for condition in noise.CONDITIONS
        if measured(kind, condition)
    ]
    with job_pool(2, streams) as pool, args.file.open("w") as f:
        for (kind, condition), rows in zip(jobs, pool.map(_job, jobs), strict=True):
            f.writelines(json.dumps(row) + "\n" for row in rows)
            print(f"{kind}, {condition.name}: {len(rows)} segments judged", flush=True)


if __name__ == "__main__":
    main()
