"""A second opinion on a command: transcribe the segment freely and compare by sound.

A grammar decoder can only answer with a command, so ordinary speech comes out as the command it
least mismatches. Moonshine (the tiny English model, 27 M parameters, MIT licence, carried inside
the `moonshine-voice` 0.1.0 wheel for x86 and ARM: no download) writes down what was said
instead, "put your hands under your hips" as that, and the phonetic matcher says how far that
is from each phrase. The two disagree on what was not a command, and agree on most commands.

The rule, measured with `python -m bench.recognition` against the grammar decoder alone:
  - the transcript alone is enough when it sounds almost exactly like a phrase (`alone`);
  - the decoder's command stands when the transcript is not far from one of its phrases
    (`agree`): transcripts of noisy or synthetic speech are often a few phones off; further
    off (`agree_sure`) when the decoder is sure of it or it is `pain`, only closer
    (`agree_weak`) when the decoder barely verified it: two weak opinions are not one strong;
  - a transcript with a word the dictionary lacks leaves the decoder's verdict standing;
  - when that gives no command, Moonshine hears the segment again as it was before noise
    suppression, and the same rule applies to that transcript;
  - still none: "too painful" stands if the transcript is close to it (`rescue`) and the decoder
    had it among its best decodings, even below its margin or behind another phrase;
  - otherwise nothing is a command.
The whole segment is transcribed, lead-in and trailing quiet included: cut closer to the speech,
fewer commands were heard in noise (pink 10 dB, scored offline on recorded segments with
Moonshine's own voice detector on: 83.5% whole, 75.4% with 0.15 s either side).
"""

import math
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import Enum
from functools import cache

import numpy as np

from voicecoach.speech.commands import PhraseTable, normalize
from voicecoach.speech.phonetic import Match, PhoneticMatcher
from voicecoach.speech.recognizer import SAMPLE_RATE
from voicecoach.speech.segmenter import FRAME, Segment

ABSTAIN = Match("", "", math.nan)
# A missed "too painful" keeps someone exercising in pain; a false one only makes the session
# gentler. Its veto needs a transcript further off.
LENIENT = frozenset({"pain"})


class Trust(Enum):
    """How sure the grammar decoder is of its command (its verification margin)."""

    WEAK = "weak"
    VERIFIED = "verified"
    SURE = "sure"


@dataclass(frozen=True)
class SecondOpinionOptions:
    alone: float = 0.25  # phone edits per phrase phone: the transcript decides by itself
    agree: float = 0.9  # ... the transcript still backs the decoder's command
    # ... backs it when the decoder is sure of it, or the command is one of `LENIENT`. In noise
    # Moonshine's transcript is often wrong and vetoed right commands (pink 10 dB: 79.9 ->
    # 82.6% of commands, pain 33 -> 37 of 44; no more false commands on real speech).
    agree_sure: float = 1.3
    # ... backs it when the decoder barely verified it. Short real phrases said alone ("Front
    # right.", "Side left.") were transcribed right and still came within 0.9 of a long phrase,
    # mostly with a weak decoder. "Too painful" is exempt (LENIENT). Chosen with
    # PocketSphinxOptions.weak_margin by replaying logged segments, then the full benchmark
    # (README, second opinion).
    agree_weak: float = 0.6
    # ... makes one of `LENIENT` a command when nothing else did, if the decoder had it among its
    # hypotheses: "too painful" said in noise, below the decoder's margin or behind another
    # phrase ("This works.", "It has.": pink 10 dB). Not for other commands: the coach's
    # counting ("Down.", "Hold.") would become "done" and "hold on".
    rescue: float = 0.5
    # Transcribe this long after the speech stopped, while the segmenter waits to be sure it
    # has (its hangover): the transcript is ready when the segment closes.
    early: float = 0.1


class SecondOpinion:
    def __init__(self, table: PhraseTable, options: SecondOpinionOptions | None = None) -> None:
        self.options = options or SecondOpinionOptions()
        self._matcher = PhoneticMatcher(table)
        self._early: tuple[tuple[int, int], list[str]] | None = None
        self.heard: list[str] = []  # the last segment's transcript lines, for diagnostics

    def reset(self) -> None:
        self._early = None

    def due(self, quiet: float) -> bool:
        """Whether, `quiet` seconds after the open segment's speech stopped (checked every
        frame), it is time to transcribe it early."""
        return self.options.early <= quiet < self.options.early + FRAME / SAMPLE_RATE

    def transcribe_early(self, segment: Segment) -> None:
        """Transcribe the open segment now; `judge` uses it if the segment closes unchanged."""
        self._early = ((segment.speech_start, segment.speech_end), transcribe(segment.audio))

    def judge(
        self,
        segment: Segment,
        proposed: str | None,
        trust: Trust = Trust.VERIFIED,
        unsuppressed: np.ndarray | None = None,
    ) -> Match | None:
        """The command in `segment`, given the decoder's `proposed` intent (None if it found
        none it would stand by) and how far it `trust`s it; None when it is not a command;
        ABSTAIN when the transcript cannot be sounded out. `unsuppressed`: the segment's audio
        before noise suppression, heard when the suppressed audio gives no command."""
        early, self._early = self._early, None
        if early is not None and early[0] == (segment.speech_start, segment.speech_end):
            self.heard = early[1]
        else:
            self.heard = transcribe(segment.audio)
        verdict = self._verdict(proposed, trust)
        # ABSTAIN leaves the decoder's verdict standing: a command only if it proposed one.
        gave_command = verdict is not None and (verdict is not ABSTAIN or proposed is not None)
        if gave_command or unsuppressed is None:
            return verdict
        # The suppressor helps in noise and distorts clean speech: each hearing catches
        # commands the other misses. Full benchmark: see the README (second opinion).
        self.heard = transcribe(unsuppressed)
        return self._verdict(proposed, trust)

    def rescue(self, hypotheses: Callable[[], Collection[str]]) -> Match | None:
        """After `judge` found no command: one of `LENIENT` that the last transcript sounds like,
        if it is among the decoder's `hypotheses` (intents; asked for only then)."""
        for intent in sorted(LENIENT):
            backing = self._closest(intent)
            close = backing is not None and backing.distance <= self.options.rescue
            if close and intent in hypotheses():
                return backing
        return None

    def _verdict(self, proposed: str | None, trust: Trust) -> Match | None:
        found = self._closest(None)
        if found is None:
            # A word the dictionary lacks ("And Lercot."): nothing to compare, the decoder decides.
            # Measured: 88.5 -> 92.9% of clean commands, no more false ones.
            return ABSTAIN
        if found.distance <= self.options.alone:
            return found
        if proposed is not None:
            backing = self._closest(proposed)
            if backing is not None and backing.distance <= self._agreement(proposed, trust):
                return backing
        return None

    def _agreement(self, intent: str, trust: Trust) -> float:
        """How far off the transcript may be and still back the decoder's `intent`."""
        if trust is Trust.SURE or intent in LENIENT:
            return self.options.agree_sure
        if trust is Trust.WEAK:
            return self.options.agree_weak
        return self.options.agree

    def _closest(self, intent: str | None) -> Match | None:
        matches = [self._matcher.best(once(line), intent) for line in self.heard]  # one, mostly
        return min(filter(None, matches), key=lambda m: m.distance, default=None)


def once(line: str) -> str:
    """A transcript that is one phrase said over and over ("Go back. Go back.", "Status status.",
    cut off or not: "Wait a moment wait a moment wait") as that phrase said once: Moonshine
    repeats short phrases, most of all in noise, until it runs out of tokens."""
    words = normalize(line).split()
    for size in range(1, len(words) // 2 + 1):
        if words == (words[:size] * (len(words) // size + 1))[: len(words)]:
            return " ".join(words[:size])
    return line


def transcribe(pcm: np.ndarray) -> list[str]:
    """Moonshine's transcript of int16 16 kHz audio, one string per line it found."""
    audio = (np.asarray(pcm, np.float32) / 32768.0).tolist()
    lines = _transcriber().transcribe_without_streaming(audio, SAMPLE_RATE).lines
    return [line.text.strip() for line in lines if line.text.strip()]


@cache
def available() -> bool:
    """Whether Moonshine can be loaded here (its wheel exists for x86-64 and ARM64 Linux)."""
    try:
        _transcriber()
    except Exception as error:  # missing wheel, or a library the platform lacks
        print(f"voicecoach: no second opinion on commands (Moonshine: {error})", file=sys.stderr)
        return False
    return True


@cache
def _transcriber():  # -> moonshine_voice.Transcriber, imported late: it loads onnxruntime
    from moonshine_voice import ModelArch, Transcriber, get_model_path

    # Its own voice detector off (vad_threshold 0): with it, the same audio came out differently
    # from call to call ("Next." or "The next."; 12 of 60 noisy clips, even on a fresh
    # transcriber). It was worth 4 points in pink noise at 10 dB (84.5 against 80.1% offline),
    # but the same words must be heard the same way. Without it a call is also faster.
    options = {"identify_speakers": "false", "vad_threshold": "0"}
    transcriber = Transcriber(str(get_model_path("tiny-en")), ModelArch.TINY, options=options)
    transcriber.transcribe_without_streaming([0.0] * 8000, SAMPLE_RATE)  # the first is slowest
    return transcriber
