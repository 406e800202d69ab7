"""The odds that a segment is each command it could be, from everything known of it.

Three opinions come to a segment: the grammar decoder's command (with how far it beat a rival
decoding: its verification margin) and two hearings by Moonshine, one of the noise-suppressed
audio and one of the audio as the microphone gave it, each a regret for every phrase within
reach (`phrase_scorer`). Each intent the segment could mean (the nearest command in each
hearing, and the decoder's) is described by the numbers in `FEATURES`, and a logistic model
gives the odds that it is what was said. Its weights are fitted on the benchmark's logged
segments (`python -m bench.fit`), held out by voice to choose them: a hand-set rule of regret
thresholds, tuned one at a time, turned twice as many exclamations into commands.
"""

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from voicecoach.speech.commands import PhraseTable

REACH = 12.0  # nats: no phrase farther than this is followed; an absent phrase counts as this
DECOY_REACH = 3.0  # ... and no decoy farther than this
DECOY = "decoy"  # the intent of a decoy
WEIGHTS = Path(__file__).with_name("verdict_weights.json")

# Per hearing (suppressed, then unsuppressed): the intent's regret, how much nearer it is than
# the nearest decoy, and than the nearest other command. Then: the nearer of its two regrets;
# whether the decoder proposed it (verified), only weakly, or decoded it at all (verified or
# not), and its verification margin; the speech's length.
FEATURES = (
    "regret", "decoy_margin", "rival_margin",
    "regret_unsuppressed", "decoy_margin_unsuppressed", "rival_margin_unsuppressed",
    "nearest", "proposed", "proposed_weakly", "decoded", "decoded_margin", "seconds",
)  # fmt: skip
DECOY_MARGIN_CAP = 4.0  # nats: a decoy farther than this says nothing more
RIVAL_MARGIN_CAP = 6.0
DECODED_MARGIN_RANGE = (-10.0, 20.0)  # 1e-4 nats per frame past the threshold


@dataclass(frozen=True)
class Proposal:
    """The grammar decoder's reading of a segment."""

    intent: str | None  # the command its best path spells (None: no whole phrase)
    margin: float | None = None  # how far it beat the rival, past the threshold (None: unmeasured)
    weak: bool = False  # verified, but only just
    phrase: str = ""  # the phrase it decoded

    @property
    def verified(self) -> bool:
        return self.intent is not None and (self.margin is None or self.margin >= 0)


@dataclass(frozen=True)
class Candidate:
    intent: str
    phrase: str  # its phrase nearest in either hearing (or the decoder's, heard in neither)
    features: tuple[float, ...]


@dataclass(frozen=True)
class Verdict:
    intent: str
    phrase: str
    probability: float


def candidates(
    table: PhraseTable,
    hearings: Sequence[dict[str, float]],
    proposal: Proposal,
    seconds: float,
) -> list[Candidate]:
    """Each intent `hearings` (phrase -> regret, decoys included) or the decoder point to, with
    its features. `table` tells phrases from decoys and intents apart."""
    suppressed, unsuppressed = hearings
    heard = [_commands(table, h) for h in hearings]
    nearest = {table.intent_for(min(h, key=h.__getitem__)) for h in heard if h}
    intents = {i for i in nearest | {proposal.intent} if i is not None}
    found = []
    for intent in sorted(intents):
        regrets = [_regret(table, h, intent) for h in hearings]
        phrase = min(
            ((r, p) for h in hearings for p, r in h.items() if table.intent_for(p) == intent),
            default=(0.0, proposal.phrase),
        )[1]
        decoded = proposal.intent == intent
        margin = proposal.margin if decoded and proposal.margin is not None else 0.0
        features = (
            *_hearing_features(table, suppressed, intent),
            *_hearing_features(table, unsuppressed, intent),
            min(regrets),
            float(decoded and proposal.verified),
            float(decoded and proposal.verified and proposal.weak),
            float(decoded),
            min(max(margin, DECODED_MARGIN_RANGE[0]), DECODED_MARGIN_RANGE[1]),
            seconds,
        )
        found.append(Candidate(intent, phrase, features))
    return found


def _commands(table: PhraseTable, heard: dict[str, float]) -> dict[str, float]:
    return {p: r for p, r in heard.items() if table.intent_for(p) not in (None, DECOY)}


def _regret(table: PhraseTable, heard: dict[str, float], intent: str) -> float:
    return min((r for p, r in heard.items() if table.intent_for(p) == intent), default=REACH)


def _hearing_features(table: PhraseTable, heard: dict[str, float], intent: str) -> list[float]:
    own = _regret(table, heard, intent)
    decoy = min(_regret(table, heard, DECOY), REACH)
    others = [r for p, r in _commands(table, heard).items() if table.intent_for(p) != intent]
    rival = min(others, default=REACH)
    return [
        own,
        min(max(decoy - own, -DECOY_MARGIN_CAP), DECOY_MARGIN_CAP),
        min(max(rival - own, -RIVAL_MARGIN_CAP), RIVAL_MARGIN_CAP),
    ]


@dataclass(frozen=True)
class Model:
    """Logistic: the odds are 1 / (1 + exp(-(bias + weights . features)))."""

    bias: float
    weights: tuple[float, ...]

    @staticmethod
    def load(path: Path = WEIGHTS) -> "Model":
        data = json.loads(path.read_text())
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path}: weights are for other features: {data['features']}")
        return Model(float(data["bias"]), tuple(float(w) for w in data["weights"]))

    def save(self, path: Path, note: str) -> None:
        data = {"note": note, "features": FEATURES, "bias": self.bias, "weights": self.weights}
        path.write_text(json.dumps(data, indent=1) + "\n")

    def odds(self, candidate: Candidate) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, candidate.features, strict=True))
        return 1 / (1 + math.exp(-min(max(z, -50.0), 50.0)))
