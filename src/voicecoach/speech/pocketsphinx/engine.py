"""Command recognition with PocketSphinx: cut the stream into segments, decode, reject.

Rejection layers (each measured by `python -m bench.recognition`):
  1. segments longer than a command can be are conversation: never a command;
  2. a command is said on its own: a segment that follows other speech closely is rejected;
  3. verification: the command's decoding must beat a rival decoding of the same audio (any run
     of frequent words, or a free phone loop) by a margin per frame;
  4. a second opinion: a general speech recogniser hears the segment, before and after noise
     suppression, and a model fitted on the benchmark weighs its hearings and the decoder's
     command and margin into the odds of each command (`second_opinion`, `verdict`); this also
     rescues commands the margin turned away.
Both decoders work through a segment while it is spoken, so only its last frames remain to be
decoded when it ends: latency is the segmenter's hangover plus a few milliseconds.

A decoder holds its own copy of the acoustic model and dictionary (~27 MB). Recognisers with the
same settings share one decoder pair, each phrase table a named search in it: `serve` listens for
four tables in turn and so keeps two decoders, not eight.
"""

import math
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pocketsphinx
from pocketsphinx import Decoder

from voicecoach.audio import SAMPLE_RATE
from voicecoach.speech.commands import SESSION, PhraseTable
from voicecoach.speech.denoise import Denoiser
from voicecoach.speech.moonshine.second_opinion import (
    SecondOpinion,
    SecondOpinionOptions,
    available,
)
from voicecoach.speech.moonshine.verdict import Proposal
from voicecoach.speech.pocketsphinx.grammar import command_jsgf, decoy_jsgf, decoy_words
from voicecoach.speech.pocketsphinx.noise_floor import NoiseFloor
from voicecoach.speech.recognizer import CommandEvent
from voicecoach.speech.segmenter import FRAME, Segment, Segmenter, SegmenterConfig

MODEL = Path(pocketsphinx.get_model_path()) / "en-us"
DENOISE_LEVEL = 2


@dataclass(frozen=True)
class PocketSphinxOptions:
    segmenter: SegmenterConfig = field(default_factory=SegmenterConfig)
    denoise: int = DENOISE_LEVEL  # WebRTC noise suppression level, 0 (off) to 4
    min_gap: float = 0.6  # seconds of non-speech required before a command (it is said alone)
    verify: bool = True  # a rival decoding of decoy words that the command must beat
    # How much the command must beat the rival by, in 1e-4 nats per frame: the knob between
    # missed commands (higher) and false ones (lower). 2.5 with noise suppression at level 2
    # (5.0 without): measured with bench/ and the margins of every decoded segment.
    verify_margin: float = 2.5
    # Below this far past verify_margin the decoder's command is weak (a feature of the second
    # opinion's verdict). Real phrases that became false commands ("Front left." as "end
    # workout") had margins of 2 to 6.
    weak_margin: float = 5.0
    # A general recogniser must back the command (None: the grammar decoder decides alone).
    second_opinion: SecondOpinionOptions | None = field(default_factory=SecondOpinionOptions)
    # bestpath off: its lattice search often loses the only path that reaches the grammar's end.
    # dither: digital silence (all zeros) derails the acoustic features.
    decoder_args: tuple[tuple[str, object], ...] = (("bestpath", False), ("dither", True))
    # A floor of pink noise this many dB under the segment's loudest frame, under what the decoder
    # hears (not the second opinion): very clean audio decodes worse (noise_floor.py).
    # None: off. See DECODER_ALONE for where it is on.
    noise_floor_db: float | None = None


# Without the second opinion (a small Pi), the decoder hears a noise floor: in the benchmark it
# heard 92.9% of clean commands instead of 82.8%, for about as many false commands (per 10 min:
# 15.9 against 15.2 on read speech, 36.0 against 40.7 on short phrases). With the second
# opinion it bought 7 more of 407 clean commands but tripled the false commands on real read
# speech (0.99 to 2.98 per 10 min), so the default leaves it off.
DECODER_ALONE = PocketSphinxOptions(second_opinion=None, noise_floor_db=34.0)


class PocketSphinxRecognizer:
    name = "pocketsphinx"

    def __init__(
        self, options: PocketSphinxOptions | None = None, table: PhraseTable = SESSION
    ) -> None:
        self.options = options or PocketSphinxOptions()
        self.table = table
        self._segmenter = Segmenter(self.options.segmenter)
        self._denoiser = Denoiser(self.options.denoise) if self.options.denoise else None
        self._searches = _make_searches(self.options, table)
        depth = self.options.noise_floor_db
        self._noise_floor = NoiseFloor(depth) if depth is not None else None
        self.second_opinion = None
        if self.options.second_opinion is not None and available():
            self.second_opinion = SecondOpinion(table, self.options.second_opinion)
        self._pending = np.zeros(0, np.int16)
        self._unsuppressed = _Recent(_longest_segment(self.options.segmenter))
        self._in_utterance = False
        self._last_end = -(10**9)  # sample where the previous segment's speech ended

    def feed(self, pcm: np.ndarray) -> list[CommandEvent]:
        if self._denoiser is not None:
            self._unsuppressed.add(pcm)
            pcm = self._denoiser.process(pcm)
        self._pending = np.concatenate([self._pending, np.asarray(pcm, np.int16).ravel()])
        events = []
        n = len(self._pending) // FRAME
        for i in range(n):
            closed = self._segmenter.feed(self._pending[i * FRAME : (i + 1) * FRAME])
            self._decode_new_audio()
            self._hear_early()
            events += [e for e in map(self._finish, closed) if e is not None]
        self._pending = self._pending[n * FRAME :]
        return events

    def flush(self) -> list[CommandEvent]:
        closed = self._segmenter.flush()
        self._decode_new_audio()
        return [e for e in map(self._finish, closed) if e is not None]

    def reset(self) -> None:
        self._segmenter.reset()
        if self._denoiser is not None:
            self._denoiser.reset()
        if self.second_opinion is not None:
            self.second_opinion.reset()
        self._pending = np.zeros(0, np.int16)
        self._unsuppressed = _Recent(self._unsuppressed.size)
        self._drop_utterance()
        self._last_end = -(10**9)

    def _hear_early(self) -> None:
        """Have the second opinion ready when the segment closes, if it could be a command."""
        if self.second_opinion is None or not self.second_opinion.due(self._segmenter.quiet):
            return
        segment = self._segmenter.open_segment()
        if segment is not None and self._said_alone(segment):
            self.second_opinion.hear_early(segment, self._unsuppressed_audio(segment))

    def _unsuppressed_audio(self, segment: Segment) -> np.ndarray | None:
        """The segment's audio as it was before noise suppression (None: there was none)."""
        if self._denoiser is None:
            return None
        return self._unsuppressed.get(segment.start, len(segment.audio))

    def _said_alone(self, segment: Segment) -> bool:
        """A command is said alone: after a moment of quiet, not in the flow of talk."""
        return (segment.speech_start - self._last_end) / SAMPLE_RATE >= self.options.min_gap

    def _drop_utterance(self) -> None:
        """End the utterance in progress, if any, without a result."""
        if self._in_utterance:
            for search in self._searches.values():
                search.end()
        self._in_utterance = False

    def _decode_new_audio(self) -> None:
        audio = self._segmenter.take_new()
        if len(audio) == 0:
            return
        if self._noise_floor is not None:
            if not self._in_utterance:
                self._noise_floor.start_segment()
            audio = self._noise_floor.add(audio)
        data = audio.tobytes()
        for search in self._searches.values():
            if not self._in_utterance:
                search.begin(self)
            search.decoder.process_raw(data, no_search=False, full_utt=False)
        self._in_utterance = True

    def _finish(self, segment: Segment) -> CommandEvent | None:
        results = {}
        if self._in_utterance:
            results = {role: search.result() for role, search in self._searches.items()}
            self._in_utterance = False
        alone = self._said_alone(segment)
        self._last_end = segment.speech_end
        text, score, frames = results.get("commands", ("", -math.inf, 0))
        # A decoy or phone-loop word in the best path, or a partial phrase: not a command.
        intent = self.table.intent_for(text) if text else None
        if segment.too_long or not alone:
            return None
        margin = None
        if "rival" in results and intent is not None:
            rival = results["rival"][1]
            margin = (score - rival) / max(frames, 1) * 1e4 - self.options.verify_margin
        confidence = _confidence(score / max(frames, 1) * 1e4, margin)
        proposal = Proposal(intent, margin, self._weak(margin), text)
        if not proposal.verified:
            intent = None
        if self.second_opinion is not None:
            unsuppressed = self._unsuppressed_audio(segment)
            verdict = self.second_opinion.judge(segment, proposal, unsuppressed)
            intent, text = (verdict.intent, verdict.phrase) if verdict else (None, text)
            confidence = verdict.probability if verdict else 0.0
        if intent is None:
            return None
        return CommandEvent(
            command=intent,
            text=text,
            start=segment.speech_start / SAMPLE_RATE,
            end=segment.speech_end / SAMPLE_RATE,
            emitted_at=segment.emitted / SAMPLE_RATE,
            confidence=confidence,
        )

    def _weak(self, margin: float | None) -> bool:
        return margin is not None and 0 <= margin < self.options.weak_margin


class _Recent:
    """The last `size` samples of a stream, to be cut out again by their place in it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._audio = np.zeros(0, np.int16)
        self._end = 0  # samples added so far

    def add(self, pcm: np.ndarray) -> None:
        pcm = np.asarray(pcm, np.int16).ravel()
        self._audio = np.concatenate([self._audio, pcm])[-self.size :]
        self._end += len(pcm)

    def get(self, start: int, length: int) -> np.ndarray | None:
        """Samples start..start+length of the stream; None when none were added or they are
        no longer kept."""
        first = self._end - len(self._audio)
        if length == 0 or start < first or start + length > self._end:
            return None
        return self._audio[start - first : start - first + length]


def _longest_segment(config: SegmenterConfig) -> int:
    """Samples in the longest segment a command can come from, with room to spare."""
    seconds = config.preroll + config.max_speech + config.hangover + 1.0
    return int(seconds * SAMPLE_RATE)


def _confidence(per_frame: float, margin: float | None) -> float:
    """0..1: from the verification margin when there is one, else from how far the best path's
    score falls below each frame's best state (0 = as good as it gets)."""
    if margin is not None:
        return 1 / (1 + math.exp(-0.3 * margin))
    return float(math.exp(min(per_frame, 0.0) / 50))


@dataclass
class _SharedDecoder:
    decoder: Decoder
    searches: set[str] = field(default_factory=set)
    active: str | None = None  # the binding's current_search() crashes before the first one
    user: "PocketSphinxRecognizer | None" = None  # whose utterance is in progress

    def search(self, name: str, add: Callable[[Decoder], None]) -> "_Search":
        """The named search; `add(decoder)` adds it the first time it is asked for."""
        if name not in self.searches:
            add(self.decoder)
            self.searches.add(name)
        return _Search(self, name)


# One decoder per (role, settings). Recognisers feed one at a time (serve listens for one phrase
# table at a time); one that starts an utterance ends any other's unfinished one.
_SHARED: dict[tuple[str, PocketSphinxOptions], _SharedDecoder] = {}


@dataclass
class _Search:
    """A recogniser's named search in a shared decoder."""

    shared: _SharedDecoder
    name: str

    @property
    def decoder(self) -> Decoder:
        return self.shared.decoder

    def begin(self, recognizer: PocketSphinxRecognizer) -> None:
        user = self.shared.user
        if user is not None and user is not recognizer:
            user._drop_utterance()
        if self.shared.active != self.name:
            self.decoder.activate_search(self.name)
            self.shared.active = self.name
        self.decoder.start_utt()
        self.shared.user = recognizer

    def end(self) -> None:
        self.decoder.end_utt()
        self.shared.user = None

    def result(self) -> tuple[str, float, int]:
        """Best hypothesis, its path score in natural-log units, and the number of frames."""
        self.end()
        hyp = self.decoder.hyp()
        if hyp is None:
            return "", -math.inf, self.decoder.n_frames()
        # The binding returns exp(score); scores are relative to each frame's best state, so they
        # stay small enough not to underflow for segments of command length.
        return hyp.hypstr, math.log(max(hyp.score, 1e-300)), self.decoder.n_frames()


def _make_searches(options: PocketSphinxOptions, table: PhraseTable) -> dict[str, _Search]:
    searches = {"commands": _command_search(options, table)}
    if options.verify:
        rival = _shared("rival", options)
        searches["rival"] = _jsgf_search(rival, table, decoy_jsgf(decoy_words(table.phrases())))
    return searches


def _command_search(options: PocketSphinxOptions, table: PhraseTable) -> _Search:
    shared = _shared("commands", options)
    grammar = command_jsgf(known_phrases(shared.decoder, table))
    return _jsgf_search(shared, table, grammar)


def _jsgf_search(shared: _SharedDecoder, table: PhraseTable, grammar: str) -> _Search:
    name = f"{table.name}-{zlib.crc32(grammar.encode()):08x}"
    return shared.search(name, lambda decoder: decoder.add_jsgf_string(name, grammar))


def _shared(role: str, options: PocketSphinxOptions) -> _SharedDecoder:
    key = (role, options)
    if key not in _SHARED:
        _SHARED[key] = _SharedDecoder(_decoder(options))
    return _SHARED[key]


def known_phrases(decoder: Decoder, table: PhraseTable) -> list[str]:
    """The table's phrases whose every word is in the dictionary (a routine name may not be)."""
    known, unknown = [], []
    for phrase in table.phrases():
        words_known = all(decoder.lookup_word(word) is not None for word in phrase.split())
        (known if words_known else unknown).append(phrase)
    if unknown:
        print(f"voicecoach: not listening for {unknown}: words missing from the dictionary",
              file=sys.stderr)  # fmt: skip
    return known


def _decoder(options: PocketSphinxOptions) -> Decoder:
    args: dict[str, object] = {
        "hmm": str(MODEL / "en-us"),
        "dict": str(MODEL / "cmudict-en-us.dict"),
        "lm": None,
        "loglevel": "FATAL",
        "seed": 1,
        **dict(options.decoder_args),
    }
    return Decoder(**args)
