"""Why each command was accepted: the second opinion's evidence, for tuning its rules offline.

    python -m bench.evidence evidence.jsonl     (about 30 min on 2 cores)

Runs the default recogniser over the benchmark's streams (the same audio, conditions and seeds
as bench.recognition) and writes one JSON line per command it gave: the stream, the condition,
what was said there, the decoder's proposal and trust, the rule that let the command through
("alone", "agree" or "lenient"), Moonshine's regret and margin, and its six closest phrases
(decoys among them).
A stricter rule can then be tried by filtering the lines: a command it drops becomes a miss.
"""

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from bench import noise
from bench.evaluate import BLOCK, belongs_to
from bench.recognition import _STREAMS, _streams, job_pool, measured, noisy_audio
from voicecoach.speech import second_opinion
from voicecoach.speech.commands import command_for
from voicecoach.speech.engines import make_recognizer
from voicecoach.speech.phrase_scorer import PhraseRegret
from voicecoach.speech.recognizer import CommandEvent
from voicecoach.speech.segmenter import Segment

_accepted: list[dict[str, Any]] = []  # evidence for commands not yet matched to their event
_judge = second_opinion.SecondOpinion.judge


def _judge_with_evidence(
    self: second_opinion.SecondOpinion,
    segment: Segment,
    proposed: str | None,
    trust: second_opinion.Trust = second_opinion.Trust.VERIFIED,
    unsuppressed: np.ndarray | None = None,
) -> PhraseRegret | None:
    verdict = _judge(self, segment, proposed, trust, unsuppressed)
    if verdict is not None:
        nearest = sorted(self.heard.items(), key=lambda item: item[1])[:6]
        _accepted.append({
            "proposed": proposed, "trust": trust.name, "rule": self.rule,
            "regret": round(verdict.regret, 3), "margin": round(min(verdict.margin, 99.0), 3),
            "heard": {phrase: round(regret, 2) for phrase, regret in nearest},
        })  # fmt: skip
    return verdict


def _job(job: tuple[str, noise.Condition]) -> list[dict[str, Any]]:
    kind, condition = job
    second_opinion.SecondOpinion.judge = _judge_with_evidence
    stream = _STREAMS[kind]
    audio = noisy_audio(kind, condition)
    recognizer = make_recognizer("pocketsphinx")
    rows: list[dict[str, Any]] = []

    def record(events: list[CommandEvent]) -> None:
        evidence = _accepted[-len(events) :] if events else []
        _accepted.clear()
        for event, why in zip(events, evidence, strict=True):
            said = [p.text for p in stream.placed if belongs_to(event, p)]
            rows.append({
                "kind": kind, "condition": condition.name, "command": str(event.command),
                "text": event.text, "start": round(event.start, 2), "end": round(event.end, 2),
                "said": said, "right": any(command_for(t) == event.command for t in said),
                **why,
            })  # fmt: skip

    for i in range(0, len(audio), BLOCK):
        record(recognizer.feed(audio[i : i + BLOCK]))
    record(recognizer.flush())
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="JSON lines file to write")
    args = parser.parse_args()
    streams = _streams(quick=False, phrases=0)
    jobs = [
        (kind, condition)
        for kind in streams
        if kind != "chatter"
        for condition in noise.CONDITIONS
        if measured(kind, condition)
    ]
    with (
        job_pool(2, streams) as pool,
        args.out.open("w") as f,
    ):
        for (kind, condition), rows in zip(jobs, pool.map(_job, jobs), strict=True):
            f.writelines(json.dumps(row) + "\n" for row in rows)
            print(f"{kind}, {condition.name}: {len(rows)} commands", flush=True)


if __name__ == "__main__":
    main()
