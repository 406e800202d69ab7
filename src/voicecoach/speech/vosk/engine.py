"""The Vosk command recogniser: Kaldi decoding restricted to the command grammar."""

import json
import sys
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from voicecoach.audio import SAMPLE_RATE
from voicecoach.errors import UserError
from voicecoach.speech.commands import SESSION, PhraseTable, all_phrases, normalize
from voicecoach.speech.recognizer import CommandEvent
from voicecoach.speech.vosk.grammar import (
    DECOYS,
    DEFAULT_MIN_CONFIDENCE,
    Grammar,
    build_grammar,
    match,
)
from voicecoach.speech.vosk.model import is_model_dir, missing_files, supports_grammar


class Decoder(Protocol):
    """The part of vosk.KaldiRecognizer used here."""

    def AcceptWaveform(self, data: bytes) -> int: ...
    def Result(self) -> str: ...
    def FinalResult(self) -> str: ...


class VoskRecognizer:
    """Recognizer protocol over Vosk. Grammar mode unless `use_grammar=False` (free dictation,
    for models with a static graph); either way only a result equal to a whole phrase counts."""

    name = "vosk"

    def __init__(
        self,
        model_path: Path,
        phrases: list[str] | None = None,
        *,
        table: PhraseTable = SESSION,
        decoys: Sequence[str] = DECOYS,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        use_grammar: bool = True,
        block_seconds: float = 0.1,
    ) -> None:
        _check_model(model_path, use_grammar)
        self.table = table  # maps a recognised phrase to its intent
        phrases = table.phrases() if phrases is None else phrases
        model = load_model(model_path.resolve())
        self.min_confidence = min_confidence
        self.grammar: Grammar = build_grammar(phrases, decoys, in_vocabulary=_vocabulary(model))
        _check_vocabulary(phrases, self.grammar)
        self._phrases = frozenset(self.grammar.commands)
        grammar = self.grammar.to_json() if use_grammar else None
        self._stream = DecoderStream(
            lambda: _new_decoder(model, grammar), self._event, block_seconds
        )

    def feed(self, pcm: np.ndarray) -> list[CommandEvent]:
        return self._stream.feed(pcm)

    def flush(self) -> list[CommandEvent]:
        return self._stream.flush()

    def reset(self) -> None:
        self._stream.reset()

    def _event(self, result: dict[str, Any], emitted_at: float) -> CommandEvent | None:
        found = match(result, self._phrases, self.min_confidence)
        command = self.table.intent_for(found.phrase) if found else None
        if found is None or command is None:
            return None
        return CommandEvent(
            command, found.phrase, found.start, found.end, emitted_at, found.confidence
        )


class DecoderStream:
    """Feeds audio to a decoder in short blocks, so each utterance ends in its own result and
    emitted_at is the audio consumed when that result arrived."""

    def __init__(
        self,
        new_decoder: Callable[[], Decoder],
        to_event: Callable[[dict[str, Any], float], CommandEvent | None],
        block_seconds: float = 0.1,
    ) -> None:
        self._new_decoder = new_decoder
        self._to_event = to_event
        self._block = max(1, round(block_seconds * SAMPLE_RATE))
        self.reset()

    def reset(self) -> None:
        self._decoder = self._new_decoder()  # a new decoder restarts Vosk's clock at zero too
        self._samples = 0

    def feed(self, pcm: np.ndarray) -> list[CommandEvent]:
        samples = np.asarray(pcm, dtype=np.int16).reshape(-1)
        events = []
        for start in range(0, len(samples), self._block):
            block = samples[start : start + self._block]
            self._samples += len(block)
            if self._decoder.AcceptWaveform(block.tobytes()):
                events += self._emit(self._decoder.Result())
        return events

    def flush(self) -> list[CommandEvent]:
        return self._emit(self._decoder.FinalResult())

    def _emit(self, raw: str) -> list[CommandEvent]:
        event = self._to_event(json.loads(raw), self._samples / SAMPLE_RATE)
        return [event] if event else []


@lru_cache(maxsize=2)
def load_model(model_path: Path) -> Any:
    """A loaded vosk.Model, shared by recognisers of the same folder (loading takes seconds)."""
    import vosk

    vosk.SetLogLevel(-1)  # Kaldi's LOG lines off, its warnings (such as unknown words) kept
    try:
        return vosk.Model(str(model_path))
    except Exception as error:  # vosk raises a bare Exception
        raise UserError(f"{model_path}: Vosk could not load the model ({error})") from None


def _new_decoder(model: Any, grammar: str | None) -> Decoder:
    import vosk

    decoder = (
        vosk.KaldiRecognizer(model, SAMPLE_RATE, grammar)
        if grammar
        else vosk.KaldiRecognizer(model, SAMPLE_RATE)
    )
    decoder.SetWords(True)  # word times and confidences
    return decoder


def _vocabulary(model: Any) -> Callable[[str], bool]:
    return lambda word: model.vosk_model_find_word(word) != -1


def _check_vocabulary(phrases: list[str] | None, grammar: Grammar) -> None:
    wanted = [normalize(phrase) for phrase in (all_phrases() if phrases is None else phrases)]
    left_out = [phrase for phrase in wanted if phrase not in grammar.commands]
    if wanted and len(left_out) == len(wanted):
        raise UserError("the Vosk model knows none of the command words: is it an English model?")
    if left_out:
        print(
            f"voicecoach: the Vosk model lacks words of {left_out}; they cannot be recognised",
            file=sys.stderr,
        )


def _check_model(model_path: Path, use_grammar: bool) -> None:
    if not is_model_dir(model_path):
        raise UserError(
            f"{model_path} is not a Vosk model folder: missing "
            f"{', '.join(missing_files(model_path))}"
        )
    if use_grammar and not supports_grammar(model_path):
        raise UserError(
            f"{model_path} has a static graph (HCLG.fst), which cannot take a "
            "command grammar: use a small model such as vosk-model-small-en-us-0.15"
        )
