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

Each segment is heard twice: after noise suppression, high-passed (`high_pass`: below 150 Hz
there is noise, pink noise has as much in each octave as in any other, and little that tells one
word from another), and as the microphone gave it (the suppressor helps in noise but distorts
clean speech; each hearing catches commands the other misses). The whole segment is heard,
lead-in and trailing quiet included: cut closer to the speech, fewer commands were heard in
noise. `verdict` weighs both hearings and the decoder's proposal into the odds of each intent.
"""

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache

import numpy as np

from voicecoach.audio import SAMPLE_RATE
from voicecoach.speech.commands import PhraseTable
from voicecoach.speech.moonshine.phrase_scorer import PhraseScorer, model
from voicecoach.speech.moonshine.verdict import (
    DECOY,
    DECOY_REACH,
    REACH,
    Model,
    Proposal,
    Verdict,
    candidates,
)
from voicecoach.speech.segmenter import FRAME, Segment

# A missed "too painful" keeps someone exercising in pain; a false one only makes the session
# gentler. It is held to less (`lenient_threshold`), and below that the coach asks (`unsure`).
LENIENT = frozenset({"pain"})


def unsure(intent: str) -> str:
    """The intent a verdict names when it only may be `intent`: the coach asks ("pain?")."""
    return f"{intent}?"


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


@dataclass(frozen=True)
class SecondOpinionOptions:
    # The odds (`verdict`) at which the likeliest intent is a command. Chosen on the benchmark's
    # logged segments held out by voice (README, second opinion).
    threshold: float = 0.45
    # ... for one of `LENIENT`, even when another intent is likelier.
    lenient_threshold: float = 0.05
    # ... and at these odds, `unsure` of it: the coach pauses and asks (a needless question
    # costs a "resume", a missed "too painful" more). 0.01, set before measuring, asked about
    # people talking at 10 dB (odds 0.011, test_segmenter); 0.015 lies between that and the
    # faint "too painful" the verdict model stopped hearing (0.02). Two cases, not a fit.
    ask_threshold: float = 0.015
    # Hear this long after the speech stopped, while the segmenter waits to be sure it has
    # (its hangover): the verdict is ready when the segment closes.
    early: float = 0.1
    # Hz: the noise-suppressed segment is heard high-passed at this frequency (None: as it is).
    # The unsuppressed one is heard as it is: filtered too, on logged segments it lost commands
    # in white noise.
    high_pass: float | None = 150.0
    # Seconds of digital silence put before and after what Moonshine hears. The segment's own
    # lead-in and hangover are noise or room tone, not silence, and a short segment left it
    # unsure: flite's kal16 "end workout" as the test room's microphone gave it came 6.2 nats
    # from its phrase, 3.8 with 0.25 s of silence on each side (the bare file 10.5 and 4.5).
    pad: float = 0.25


@dataclass(frozen=True)
class Weighed:
    """One segment judged: what the decoder proposed, each hearing's regret of every phrase
    within reach, each intent it could mean with its odds (likeliest first), and the verdict."""

    segment: Segment
    proposal: Proposal
    hearings: list[dict[str, float]]
    rated: list[Verdict]
    verdict: Verdict | None


class SecondOpinion:
    def __init__(
        self,
        table: PhraseTable,
        options: SecondOpinionOptions | None = None,
        odds: Model | None = None,
    ) -> None:
        self.options = options or SecondOpinionOptions()
        self.odds = odds or Model.load()
        self._scorer = PhraseScorer(with_decoys(table), REACH, {DECOY: DECOY_REACH})
        self.table = self._scorer.table
        self._early: tuple[tuple[int, int], list[dict[str, float]]] | None = None
        self.observers: list[Callable[[Weighed], None]] = []  # told of every segment judged

    def reset(self) -> None:
        self._early = None

    def due(self, quiet: float) -> bool:
        """Whether, `quiet` seconds after the open segment's speech stopped (checked every
        frame), it is time to hear it early."""
        return self.options.early <= quiet < self.options.early + FRAME / SAMPLE_RATE

    def hear_early(self, segment: Segment, unsuppressed: np.ndarray | None = None) -> None:
        """Hear the open segment now; `judge` uses it if the segment closes unchanged."""
        span = (segment.speech_start, segment.speech_end)
        self._early = (span, self._hear(segment.audio, unsuppressed))

    def judge(
        self, segment: Segment, proposal: Proposal, unsuppressed: np.ndarray | None = None
    ) -> Verdict | None:
        """The command in `segment`, given the decoder's `proposal`; None when it is not one.
        `unsuppressed`: the segment's audio before noise suppression."""
        early, self._early = self._early, None
        if early is not None and early[0] == (segment.speech_start, segment.speech_end):
            hearings = early[1]
        else:
            hearings = self._hear(segment.audio, unsuppressed)
        seconds = (segment.speech_end - segment.speech_start) / SAMPLE_RATE
        rated = self.rate(hearings, proposal, seconds)
        verdict = self.choose(rated)
        for observer in self.observers:
            observer(Weighed(segment, proposal, hearings, rated, verdict))
        return verdict

    def _hear(self, pcm: np.ndarray, unsuppressed: np.ndarray | None) -> list[dict[str, float]]:
        """The suppressed audio's regrets (high-passed) and the unsuppressed audio's (`pcm`
        itself when there was no suppression)."""
        cutoff = self.options.high_pass
        suppressed = pcm if cutoff is None else high_passed(pcm, cutoff)
        as_heard = pcm if unsuppressed is None else unsuppressed
        silence = np.zeros(round(self.options.pad * SAMPLE_RATE), np.int16)
        return [
            self._scorer.regrets(np.concatenate([silence, audio, silence]))
            for audio in (suppressed, as_heard)
        ]

    def decide(
        self, hearings: Sequence[dict[str, float]], proposal: Proposal, seconds: float
    ) -> Verdict | None:
        """The verdict on a segment so heard (`bench.evidence` replays logged hearings)."""
        return self.choose(self.rate(hearings, proposal, seconds))

    def rate(
        self, hearings: Sequence[dict[str, float]], proposal: Proposal, seconds: float
    ) -> list[Verdict]:
        """Each intent the segment could mean, with its odds, likeliest first."""
        found = candidates(self.table, list(hearings), proposal, seconds)
        rated = (Verdict(c.intent, c.phrase, self.odds.odds(c)) for c in found)
        return sorted(rated, key=lambda verdict: verdict.probability, reverse=True)

    def choose(self, rated: list[Verdict]) -> Verdict | None:
        """The likeliest intent if its odds reach the threshold, or else the likeliest of
        `LENIENT` if its reach the lenient one, or else that one `unsure` if they reach the
        ask threshold; None if none."""
        if rated and rated[0].probability >= self.options.threshold:
            return rated[0]
        lenient = next((v for v in rated if v.intent in LENIENT), None)
        if lenient is None or lenient.probability < self.options.ask_threshold:
            return None
        if lenient.probability >= self.options.lenient_threshold:
            return lenient
        return replace(lenient, intent=unsure(lenient.intent))


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
