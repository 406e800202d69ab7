"""The second opinion: how far each phrase is from what Moonshine would write for a segment.

Real model on real (synthetic-voice and recorded) audio. Tests of the rule itself set Moonshine's
verdict by hand, to one it gave in the benchmark, so the rule is tested apart from the model.
"""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from bench.negatives import HEDGEWARS_VOICES, read_ogg
from voicecoach.settings import load_settings
from voicecoach.speech.commands import SESSION, YES_NO
from voicecoach.speech.engines import make_recognizer
from voicecoach.speech.phrase_scorer import PhraseScorer
from voicecoach.speech.pocketsphinx_engine import PocketSphinxOptions, PocketSphinxRecognizer
from voicecoach.speech.recognizer import recognize_stream
from voicecoach.speech.second_opinion import (
    DECOY,
    SecondOpinion,
    SecondOpinionOptions,
    Trust,
    with_decoys,
)
from voicecoach.speech.segmenter import Segment
from voicecoach.speech.wavio import read_wav

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def espeak(text: str, path: Path) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), text], check=True)
    return read_wav(path)


def segment(pcm: np.ndarray) -> Segment:
    return Segment(0, 0, len(pcm), len(pcm), pcm)


@needs_espeak
def test_it_rescues_a_command_the_decoder_would_not_stand_by(tmp_path: Path) -> None:
    opinion = SecondOpinion(SESSION)
    match = opinion.judge(segment(espeak("what can I say", tmp_path / "help.wav")), None)
    assert match is not None and match.intent == "help"


@needs_espeak
def test_it_vetoes_a_command_forced_onto_ordinary_speech(tmp_path: Path) -> None:
    opinion = SecondOpinion(SESSION)
    pcm = espeak("Put your hands under your hips.", tmp_path / "line.wav")
    assert opinion.judge(segment(pcm), proposed="pause") is None


@needs_espeak
def test_the_segment_is_heard_while_the_segmenter_waits_out_its_hangover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hearing takes ~0.05 s: done when the segment closes, it would add that to latency."""
    calls: list[int] = []
    real = PhraseScorer.regrets
    spy = lambda self, pcm: calls.append(len(pcm)) or real(self, pcm)  # noqa: E731 (still runs)
    monkeypatch.setattr(PhraseScorer, "regrets", spy)
    silence = np.zeros(16_000, np.int16)
    pcm = np.concatenate([silence, espeak("too painful", tmp_path / "pain.wav"), silence])
    pcm = (pcm + np.random.default_rng(0).normal(0, 30, len(pcm))).astype(np.int16)
    recognizer = PocketSphinxRecognizer(PocketSphinxOptions(second_opinion=SecondOpinionOptions()))
    events, calls_when_closing = [], None
    for i in range(0, len(pcm), 480):
        before = len(calls)
        heard = recognizer.feed(pcm[i : i + 480])
        if heard:
            events += heard
            calls_when_closing = len(calls) - before
    assert [event.command for event in events] == ["pain"]
    assert len(calls) == 1
    assert calls_when_closing == 0


@needs_espeak
def test_speech_in_the_flow_of_talk_is_not_heard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A phrase that follows other speech too closely is no command whatever it says: no CPU
    is spent on it (a coach or a radio talks in segments like these all the time)."""
    calls: list[int] = []
    real = PhraseScorer.regrets
    spy = lambda self, pcm: calls.append(len(pcm)) or real(self, pcm)  # noqa: E731 (still runs)
    monkeypatch.setattr(PhraseScorer, "regrets", spy)
    phrase = np.trim_zeros(espeak("too painful", tmp_path / "pain.wav"))
    # longer than the segmenter's hangover (two segments), shorter than the quiet a command needs
    silence, beat = np.zeros(16_000, np.int16), np.zeros(16_000 * 45 // 100, np.int16)
    pcm = np.concatenate([silence, phrase, beat, phrase, silence])
    pcm = (pcm + np.random.default_rng(0).normal(0, 30, len(pcm))).astype(np.int16)
    recognizer = PocketSphinxRecognizer(PocketSphinxOptions(second_opinion=SecondOpinionOptions()))
    events = [e for i in range(0, len(pcm), 1600) for e in recognizer.feed(pcm[i : i + 1600])]
    assert [event.command for event in events] == ["pain"]
    assert len(calls) == 1  # the first phrase only


LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")


@pytest.mark.skipif(not LIBRIVOX.is_dir(), reason="pocketsphinx-testdata is not installed")
def test_real_read_speech_is_no_phrase() -> None:
    """The negatives the benchmark scores: recorded LibriVox speech, not a command phrase."""
    pcm = read_wav(sorted(LIBRIVOX.glob("*.wav"))[0])[: 16_000 * 4]
    assert SecondOpinion(SESSION).judge(segment(pcm), proposed="next") is None


def test_the_setting_turns_it_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VOICECOACH_CONFIG", str(tmp_path / "none.yaml"))
    monkeypatch.setenv("VOICECOACH_SECOND_OPINION", "false")
    settings = load_settings()[0]
    assert settings.second_opinion is False
    off = make_recognizer("pocketsphinx", second_opinion=settings.second_opinion)
    on = make_recognizer("pocketsphinx")
    assert isinstance(off, PocketSphinxRecognizer) and isinstance(on, PocketSphinxRecognizer)
    assert off.options.second_opinion is None
    assert on.options.second_opinion == SecondOpinionOptions()


def judged(
    monkeypatch: pytest.MonkeyPatch,
    heard: dict[str, float],
    proposed: str | None,
    trust: Trust = Trust.VERIFIED,
) -> str | None:
    """The intent the second opinion lets stand when Moonshine's verdict is `heard` (one it gave
    in the benchmark, faked here so the rule is tested apart from the model)."""
    monkeypatch.setattr(PhraseScorer, "regrets", lambda self, pcm: heard)
    match = SecondOpinion(SESSION).judge(segment(np.zeros(1600, np.int16)), proposed, trust)
    return match.intent if match else None


def test_a_phrase_close_enough_is_a_command_by_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """Moonshine on espeak-ng's "slow down" (it wrote "Snorko, yet,"): 8.1 nats from "slow
    down"; and on Piper's "status", which it wrote as that."""
    assert judged(monkeypatch, {"status": -0.2, "pause": 4.8}, None) == "status"
    assert judged(monkeypatch, {"slow down": 8.1, "pause": 11.8}, None) is None
    assert judged(monkeypatch, {"slow down": 8.1, "pause": 11.8}, "slower") == "slower"
    assert judged(monkeypatch, {}, "slower") is None  # no phrase within reach


def test_too_painful_stands_by_itself_further_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Missing it keeps someone exercising in pain; a false one makes the session gentler."""
    assert judged(monkeypatch, {"that hurts": 5.5, "help": 9.4}, None) == "pain"
    assert judged(monkeypatch, {"skip this": 5.5, "status": 8.6}, None) is None
    # the decoder's weak "too painful" under the coach's voice; Moonshine found another closer
    under_the_coach = {"i'm ready": 8.5, "too painful": 8.6}
    assert judged(monkeypatch, under_the_coach, "pain", Trust.WEAK) == "pain"
    assert judged(monkeypatch, {"i'm ready": 8.5, "skip": 8.6}, "skip", Trust.WEAK) is None


def test_a_barely_verified_command_needs_close_backing(monkeypatch: pytest.MonkeyPatch) -> None:
    """alsa-utils' recording "Rear left", which the decoder heard as "resume" with a weak
    margin: Moonshine wrote "Rear." and put "resume" 7.5 nats off."""
    rear = {"resume": 7.5, "next": 9.5}
    assert judged(monkeypatch, rear, "resume", Trust.WEAK) is None
    assert judged(monkeypatch, rear, "resume", Trust.VERIFIED) == "resume"
    said_less_clearly = {"resume": 5.0, "next": 9.5}
    assert judged(monkeypatch, said_less_clearly, "resume", Trust.WEAK) == "resume"
    assert judged(monkeypatch, rear, "next", Trust.VERIFIED) is None  # not the decoder's command


def test_a_phrase_stands_by_itself_only_nearer_than_every_decoy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Verdicts Moonshine gave in the benchmark: a recorded "Oof" (hedgewars' voice lines)
    written as "Huh?", with "help" 3 nats off; "pause" in pink noise at 10 dB written as "O.",
    which the decoder heard as "pause"."""
    grunt = {"huh": -0.2, "up": 0.0, "uh": 0.1, "help": 3.0}
    assert judged(monkeypatch, grunt, None) is None
    assert judged(monkeypatch, {"help": 3.0}, None) == "help"
    masked_pause = {"oh": 0.3, "pause": 1.7}
    assert judged(monkeypatch, masked_pause, None) is None
    assert judged(monkeypatch, masked_pause, "pause") == "pause"  # the decoder's, backed
    # "too painful" stands, decoy or not: a false one only makes the session gentler
    assert judged(monkeypatch, {"two": 3.9, "too painful": 4.8}, None) == "pain"
    assert judged(monkeypatch, {"oh": 1.0, "too painful": 9.0}, "pain", Trust.WEAK) == "pain"


def test_a_tables_own_phrases_are_never_its_decoys() -> None:
    assert with_decoys(YES_NO).intent_for("yes") == "yes"
    assert with_decoys(SESSION).intent_for("yes") == DECOY
    assert with_decoys(SESSION).intent_for("next") == "next"


@pytest.mark.skipif(not HEDGEWARS_VOICES.is_dir(), reason="hedgewars-data is not installed")
@pytest.mark.parametrize(
    "clip", ["Pirate/Ouch", "Singer/Ooff3", "Russian/Ow4", "Mobster/Ow1", "Singer/Jump2"]
)
def test_recorded_grunts_are_not_commands(clip: str) -> None:
    """People's recorded "Ouch", "Oof", "Ow" and a jump's shout (hedgewars' voice lines):
    before the decoys, the recogniser made each of them "help"."""
    silence = np.zeros(16_000, np.int16)
    grunt = read_ogg(HEDGEWARS_VOICES / f"{clip}.ogg")
    pcm = np.concatenate([silence, grunt, silence, silence])
    pcm = (pcm + np.random.default_rng(2).normal(0, 30, len(pcm))).astype(np.int16)
    blocks = (pcm[i : i + 480] for i in range(0, len(pcm), 480))
    assert list(recognize_stream(make_recognizer("pocketsphinx"), blocks)) == []


def test_unsuppressed_audio_is_heard_when_the_suppressed_gives_no_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Verdicts faked, told apart by the audio they are given: far from "skip" after noise
    suppression, close before it."""
    suppressed, unsuppressed = np.zeros(1600, np.int16), np.ones(1600, np.int16)
    heard: list[str] = []

    def fake_regrets(self: PhraseScorer, pcm: np.ndarray) -> dict[str, float]:
        heard.append("suppressed" if pcm is suppressed else "unsuppressed")
        return {"skip": 9.0 if pcm is suppressed else 1.0}

    monkeypatch.setattr(PhraseScorer, "regrets", fake_regrets)
    # No high-pass: the fake tells the audio apart by identity, and the filter makes a copy.
    opinion = SecondOpinion(SESSION, SecondOpinionOptions(high_pass=None))
    match = opinion.judge(segment(suppressed), None, Trust.VERIFIED, unsuppressed)
    assert match is not None and match.intent == "skip"
    assert heard == ["suppressed", "unsuppressed"]
    heard.clear()
    assert opinion.judge(segment(unsuppressed), None, Trust.VERIFIED, suppressed) is not None
    assert heard == ["unsuppressed"]  # a command on the first hearing: no second


def test_only_the_suppressed_audio_is_heard_through_the_high_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 50 Hz hum under a 1 kHz tone: what Moonshine is given is measured, its verdict faked
    (none, so that the unsuppressed audio is heard too)."""
    t = np.arange(16_000) / 16_000
    pcm = (3000 * np.sin(2 * np.pi * 50 * t) + 3000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    levels: list[tuple[float, float]] = []  # (50 Hz, 1 kHz) amplitude of each hearing

    def fake_regrets(self: PhraseScorer, heard: np.ndarray) -> dict[str, float]:
        spectrum = np.abs(np.fft.rfft(heard)) / 8000  # amplitude, in 1 Hz bins
        levels.append((spectrum[50], spectrum[1000]))
        return {}

    monkeypatch.setattr(PhraseScorer, "regrets", fake_regrets)
    SecondOpinion(SESSION).judge(segment(pcm), None, Trust.VERIFIED, unsuppressed=pcm.copy())
    (hum, tone), (raw_hum, raw_tone) = levels
    assert hum < 100 and tone > 2900  # 150 Hz high-pass: the hum is gone, the tone kept
    assert raw_hum > 2900 and raw_tone > 2900


@needs_espeak
def test_the_recogniser_keeps_the_unsuppressed_audio_of_each_segment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Real audio, suppressor and decoders; `judge` is replaced only to see what it is given."""
    given: list[tuple[Segment, np.ndarray | None]] = []

    def judge(
        self: SecondOpinion,
        segment: Segment,
        proposed: str | None,
        trust: Trust = Trust.VERIFIED,
        unsuppressed: np.ndarray | None = None,
    ) -> None:
        given.append((segment, unsuppressed))

    monkeypatch.setattr(SecondOpinion, "judge", judge)
    phrase = espeak("pause", tmp_path / "pause.wav")
    silence = np.zeros(16_000, np.int16)
    pcm = np.concatenate([silence, phrase, silence, silence, phrase, silence])
    pcm = (pcm + np.random.default_rng(1).normal(0, 300, len(pcm))).astype(np.int16)
    recognizer = PocketSphinxRecognizer()
    for i in range(0, len(pcm), 1600):
        recognizer.feed(pcm[i : i + 1600])
    assert len(given) == 2
    for seg, unsuppressed in given:
        assert unsuppressed is not None
        assert np.array_equal(unsuppressed, pcm[seg.start : seg.start + len(seg.audio)])
        assert not np.array_equal(unsuppressed, seg.audio)  # that one was suppressed
