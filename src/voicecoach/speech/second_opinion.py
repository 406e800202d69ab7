"""A second opinion on a command: how readily a speech recogniser would write it down.

A grammar decoder can only answer with a command, so ordinary speech comes out as the command it
least mismatches. Moonshine (the tiny English model, 27 M parameters, MIT licence, carried inside
the `moonshine-voice` 0.1.0 wheel for x86 and ARM: no download) knows all of English, and
`phrase_scorer` asks it how much it would give up to write each phrase instead of what it heard:
the phrase's regret, 0 when it is Moonshine's own transcript. "Put your hands under your hips"
is far from every phrase; "help" said in noise, which Moonshine may write as "Tell.", is near.

Decoys are heard alongside the phrases: words and sounds that ask for nothing ("Huh?", "Ah!",
"Yeah.", "Nine."). A grunt is far from every phrase, yet some phrase ("help") is the nearest
of them, often near enough to stand by itself; the grunt's own word is nearer still.

The rule, measured with `python -m bench.recognition` (README, second opinion):
  - a phrase within `alone` nats is a command by itself, unless a decoy is nearer (and within
    `alone_lenient` for "too painful", decoys or not);
  - the decoder's command stands when its phrase is the closest and within `agree`, or
    `agree_weak` when the decoder only just verified it: two weak opinions are not one strong;
  - a "too painful" of the decoder's stands when its phrase is within `agree_lenient`, closest
    or not, however weakly the decoder verified it;
  - when that gives no command, Moonshine hears the segment again as it was before noise
    suppression, under the same rule: the suppressor helps in noise but distorts clean
    speech, and each hearing catches commands the other misses;
  - otherwise nothing is a command.
The whole segment is heard, lead-in and trailing quiet included: cut closer to the speech,
fewer commands were heard in noise. The noise-suppressed segment is heard high-passed
(`high_pass`): below 150 Hz there is noise (pink noise has as much in each octave as in any
other) and little that tells one word from another.
"""

import math
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from enum import Enum
from functools import cache

import numpy as np

from voicecoach.speech.commands import PhraseTable
from voicecoach.speech.phrase_scorer import PhraseRegret, PhraseScorer, model
from voicecoach.speech.recognizer import SAMPLE_RATE
from voicecoach.speech.segmenter import FRAME, Segment

# A missed "too painful" keeps someone exercising in pain; a false one only makes the session
# gentler. It is held to less (`alone_lenient`, `agree_lenient`).
LENIENT = frozenset({"pain"})

# What Moonshine writes for sounds and words that ask for nothing: a person's grunts and
# exclamations while exercising, and counting along with the coach. A decoy that is one of a
# table's phrases ("yes" when asking yes or no) is left out of that table's hearing.
DECOYS = (
    "oh", "ow", "ouch", "ah", "uh", "um", "hmm", "mm", "ugh", "oof", "phew", "whoa", "huh",
    "ha", "ha ha", "oops", "wow", "yeah", "hey", "okay", "no", "yes", "argh", "ooh", "eh",
    "hi", "hello", "bye", "yay", "aw", "oh no", "oh my god", "come on", "go", "yep", "nope",
    "alright", "good", "fine", "one", "two", "three", "four", "five", "six", "seven",
    "eight", "nine", "ten", "down", "up", "hold", "left", "right",
)  # fmt: skip
DECOY = "decoy"  # the intent of a decoy


class Trust(Enum):
    """How sure the grammar decoder is of its command (its verification margin)."""

    WEAK = "weak"
    VERIFIED = "verified"


@dataclass(frozen=True)
class SecondOpinionOptions:
    # Regrets in nats. Chosen on the benchmark's logged segments (clean, pink 10 dB, short
    # real phrases, read speech, the coach's own speech), then confirmed by a full run.
    alone: float = 3.0  # the phrase is a command by itself
    # ... for one of `LENIENT`: on logged segments, pink 10 dB 40 -> 43 of 44 "too painful"
    # heard, white 10 dB 37 -> 44, no more false commands (short phrases, read speech, coach).
    alone_lenient: float = 6.0
    agree: float = 12.0  # ... backs the decoder's command
    # ... backs it when the decoder barely verified it. Short real phrases said alone ("Rear
    # left.") came 6.6 to 9.4 from "resume", the decoder's weak command.
    agree_weak: float = 6.0
    # ... backs one of `LENIENT`, even when another phrase is closer: "too painful" said 6 dB
    # under the coach's voice came 10.5 off after echo cancellation, "I'm ready" 8.5
    # (tests/test_echo_cancel.py). Up to 11 it changed nothing on the logged segments; 11.5
    # made one substitution (white 10 dB).
    agree_lenient: float = 11.0
    # Score this long after the speech stopped, while the segmenter waits to be sure it has
    # (its hangover): the verdict is ready when the segment closes.
    early: float = 0.1
    # Hz: the noise-suppressed segment is heard high-passed at this frequency (None: as it is).
    # The unsuppressed one is heard as it is: filtered too, on logged segments it lost commands
    # in white noise.
    high_pass: float | None = 150.0

    def thresholds(self) -> dict[str, float]:
        """The rule's regret thresholds by name (`early` and `high_pass` say how to hear, not
        what to accept)."""
        hearing = ("early", "high_pass")
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in hearing}


class SecondOpinion:
    def __init__(self, table: PhraseTable, options: SecondOpinionOptions | None = None) -> None:
        self.options = options or SecondOpinionOptions()
        # A decoy matters only within `alone`: no farther one is followed.
        limits = {DECOY: self.options.alone}
        self._scorer = PhraseScorer(with_decoys(table), self.reach, limits)
        self._early: tuple[tuple[int, int], dict[str, float]] | None = None
        # For the last segment judged: each hearing's regret of every phrase within reach.
        self.hearings: list[dict[str, float]] = []
        self.rule = ""  # which rule gave the last command: "alone", "agree" or "lenient"

    @property
    def reach(self) -> float:
        """The largest regret any rule looks at: no phrase farther off is followed."""
        return max(self.options.thresholds().values())

    def reset(self) -> None:
        self._early = None

    def due(self, quiet: float) -> bool:
        """Whether, `quiet` seconds after the open segment's speech stopped (checked every
        frame), it is time to hear it early."""
        return self.options.early <= quiet < self.options.early + FRAME / SAMPLE_RATE

    def hear_early(self, segment: Segment) -> None:
        """Hear the open segment now; `judge` uses it if the segment closes unchanged."""
        self._early = (
            (segment.speech_start, segment.speech_end),
            self._hear_suppressed(segment.audio),
        )

    def judge(
        self,
        segment: Segment,
        proposed: str | None,
        trust: Trust = Trust.VERIFIED,
        unsuppressed: np.ndarray | None = None,
    ) -> PhraseRegret | None:
        """The command in `segment`, given the decoder's `proposed` intent (None if it found
        none it would stand by) and how far it `trust`s it; None when it is not a command.
        `unsuppressed`: the segment's audio before noise suppression, heard when the suppressed
        audio gives no command."""
        early, self._early = self._early, None
        if early is not None and early[0] == (segment.speech_start, segment.speech_end):
            first = early[1]
        else:
            first = self._hear_suppressed(segment.audio)
        return self.decide(self._hearings(first, unsuppressed), proposed, trust)

    def _hear_suppressed(self, pcm: np.ndarray) -> dict[str, float]:
        if self.options.high_pass is not None:
            pcm = high_passed(pcm, self.options.high_pass)
        return self._scorer.regrets(pcm)

    def _hearings(
        self, first: dict[str, float], unsuppressed: np.ndarray | None
    ) -> Iterator[dict[str, float]]:
        yield first
        if unsuppressed is not None:
            # Full benchmark: see the README (second opinion).
            yield self._scorer.regrets(unsuppressed)

    def decide(
        self, hearings: Iterable[dict[str, float]], proposed: str | None, trust: Trust
    ) -> PhraseRegret | None:
        """The command of the first hearing that gives one under the rule, None if none; a
        later hearing is not taken (from a generator, not even made) once one has.
        `bench.evidence` replays logged hearings through it."""
        self.hearings = []
        for regrets in hearings:
            self.hearings.append(regrets)
            if (verdict := self._verdict(regrets, proposed, trust)) is not None:
                return verdict
        return None

    def _verdict(
        self, regrets: dict[str, float], proposed: str | None, trust: Trust
    ) -> PhraseRegret | None:
        """The command one hearing's `regrets` give under the rule, None if none."""
        options = self.options
        table = self._scorer.table
        heard = {p: r for p, r in regrets.items() if table.intent_for(p) != DECOY}
        decoy = min((r for p, r in regrets.items() if p not in heard), default=math.inf)
        closest = self._scorer.closest(heard)
        if closest is None:
            return None
        # "Too painful" stands decoys or not: Moonshine may hear it cut short as "Two."
        lenient = closest.intent in LENIENT
        alone = options.alone_lenient if lenient else min(options.alone, decoy)
        if closest.regret <= alone:
            self.rule = "alone"
            return closest
        agree = options.agree_weak if trust is Trust.WEAK else options.agree
        if closest.intent == proposed and closest.regret <= agree:
            self.rule = "agree"
            return closest
        if proposed in LENIENT:
            backing = self._scorer.closest(regrets, proposed)
            if backing is not None and backing.regret <= options.agree_lenient:
                self.rule = "lenient"
                return backing
        return None


def high_passed(pcm: np.ndarray, hz: float, order: int = 4) -> np.ndarray:
    """`pcm` (int16, 16 kHz) through a Butterworth high-pass's magnitude response, applied to
    the whole segment at once in the frequency domain (no phase shift). scipy.signal would add
    ~50 MB to a process on a Pi for a filter this simple."""
    spectrum = np.fft.rfft(np.asarray(pcm, np.float64))
    frequencies = np.fft.rfftfreq(len(pcm), 1 / SAMPLE_RATE)
    with np.errstate(divide="ignore"):  # 0 Hz: gain 0
        gain = 1 / np.sqrt(1 + (hz / frequencies) ** (2 * order))
    filtered = np.fft.irfft(spectrum * gain, len(pcm))
    return np.clip(np.round(filtered), -32768, 32767).astype(np.int16)


def with_decoys(table: PhraseTable) -> PhraseTable:
    """`table` and the decoys that are not its phrases, under the intent `DECOY`."""
    decoys = {decoy: DECOY for decoy in DECOYS if table.intent_for(decoy) is None}
    return PhraseTable(table.name, {**table.intents, **decoys})


@cache
def available() -> bool:
    """Whether Moonshine can be loaded here (its wheel exists for x86-64 and ARM64 Linux)."""
    try:
        model()
    except Exception as error:  # missing wheel, or a library the platform lacks
        print(f"voicecoach: no second opinion on commands (Moonshine: {error})", file=sys.stderr)
        return False
    return True
