"""Fit the second opinion's verdict model on `bench.evidence`'s log.

    python -m bench.fit evidence.jsonl           # cross-validate, print, write the weights
    python -m bench.fit evidence.jsonl --check   # cross-validate and print only

Every logged segment gives a candidate for each intent it could mean (`verdict.candidates`); a
candidate is a positive when its intent is the command said there. First the model is fitted
five times, each time holding out a fifth of the voices (whole voices, so that it is judged on
voices it has not heard, as the benchmark's numbers stand for voices the product has not heard),
and the held-out verdicts are printed next to the logged ones for each stream and condition.
Then it is fitted on everything and written where the recogniser loads it from.
"""

import argparse
import json
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from bench.evidence import _print_replay, proposal, replay
from voicecoach.speech.commands import SESSION, command_for
from voicecoach.speech.moonshine.second_opinion import SecondOpinionOptions, with_decoys
from voicecoach.speech.moonshine.verdict import WEIGHTS, Model, candidates

FOLDS = 5


def examples(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and the row each candidate came from."""
    table = with_decoys(SESSION)
    features, labels, origin = [], [], []
    for i, row in enumerate(rows):
        said = {command_for(text) for text in row["said"]}
        seconds = row["end"] - row["start"]
        for candidate in candidates(table, row["hearings"], proposal(row), seconds):
            features.append(candidate.features)
            labels.append(candidate.intent in said)
            origin.append(i)
    return np.array(features, float), np.array(labels, bool), np.array(origin, int)


def fold(row: dict[str, Any]) -> int:
    """The fold a row is held out in: by its stream and the voices said in it."""
    return zlib.crc32(f"{row['kind']}/{'/'.join(row['voices'])}".encode()) % FOLDS


def fitted(features: np.ndarray, labels: np.ndarray) -> Model:
    model = LogisticRegression(C=1.0, max_iter=10_000).fit(features, labels)
    return Model(float(model.intercept_[0]), tuple(float(w) for w in model.coef_[0]))


def cross_validated(rows: list[dict[str, Any]], options: SecondOpinionOptions) -> Counter[tuple]:
    """`evidence.replay`'s counts, each row judged by the model fitted without its fold."""
    features, labels, origin = examples(rows)
    folds = np.array([fold(row) for row in rows])
    counts: Counter[tuple] = Counter()
    for k in range(FOLDS):
        train = folds[origin] != k
        model = fitted(features[train], labels[train])
        held_out = [row for row, f in zip(rows, folds, strict=True) if f == k]
        counts += replay(held_out, options, model)
    return counts


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.fit", description=__doc__)
    parser.add_argument("log", type=Path, help="bench.evidence's JSON lines")
    parser.add_argument("--check", action="store_true", help="cross-validate only")
    parser.add_argument("--out", type=Path, default=WEIGHTS, help="where to write the weights")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    with args.log.open() as f:
        rows = [json.loads(line) for line in f]
    print("Held out by voice: logged -> held-out verdicts")
    _print_replay(rows, cross_validated(rows, SecondOpinionOptions()))
    if not args.check:
        model = fitted(*examples(rows)[:2])
        model.save(args.out, f"fitted by python -m bench.fit on {len(rows)} segments")
        print(f"weights written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
