"""The second opinion: Moonshine's free transcript of a segment, matched to the table by sound.

Real engine on real (synthetic-voice and recorded) audio. Tests of the rule itself set
Moonshine's transcript by hand, to one it wrote in the benchmark, so the rule is tested apart from
the model.
"""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from voicecoach.settings import load_settings
from voicecoach.speech import second_opinion
from voicecoach.speech.commands import SESSION, YES_NO
from voicecoach.speech.engines import make_recognizer
from voicecoach.speech.phonetic import PhoneticMatcher, phone_strings
from voicecoach.speech.pocketsphinx_engine import PocketSphinxOptions, PocketSphinxRecognizer
from voicecoach.speech.second_opinion import (
    SecondOpinion,
    SecondOpinionOptions,
    Trust,
    transcribe,
)
from voicecoach.speech.segmenter import Segment
from voicecoach.speech.wavio import read_wav


def test_a_homophone_of_a_phrase_is_the_phrase() -> None:
    match = PhoneticMatcher(SESSION).best("Two painful.")
    assert match is not None
    assert (match.intent, match.phrase, match.distance) == ("pain", "too painful", 0.0)


def test_a_transcript_a_phone_off_is_close_and_ordinary_speech_is_far() -> None:
    matcher = PhoneticMatcher(SESSION)
    close = matcher.best("skip it")
    far = matcher.best("put your hands under your hips")
    assert close is not None and close.intent == "skip" and close.distance <= 0.34
    assert far is not None and far.distance > 0.8


def test_matching_can_be_limited_to_one_intent() -> None:
    match = PhoneticMatcher(SESSION).best("four", intent="pause")
    assert match is not None and match.intent == "pause" and 0 < match.distance < 1


def test_words_the_dictionary_lacks_cannot_be_sounded_out() -> None:
    assert phone_strings("chlorhexacylum on the mat") == []
    assert PhoneticMatcher(SESSION).best("chlorhexacylum") is None
    assert PhoneticMatcher(YES_NO).best("Yes.") is not None  # punctuation and case do not matter


def test_digits_are_read_as_words() -> None:
    assert phone_strings("2 painful") == phone_strings("too painful")


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
    assert "hands" in " ".join(opinion.heard).lower()


@needs_espeak
def test_the_transcript_is_made_while_the_segmenter_waits_out_its_hangover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Transcribing takes ~0.1 s: done when the segment closes, it would add that to latency."""
    calls: list[int] = []
    real = second_opinion.transcribe
    spy = lambda pcm: calls.append(len(pcm)) or real(pcm)  # noqa: E731 (the real one still runs)
    monkeypatch.setattr(second_opinion, "transcribe", spy)
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
def test_speech_in_the_flow_of_talk_is_not_transcribed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A phrase that follows other speech too closely is no command whatever it says: no CPU
    is spent on it (a coach or a radio talks in segments like these all the time)."""
    calls: list[int] = []
    real = second_opinion.transcribe
    spy = lambda pcm: calls.append(len(pcm)) or real(pcm)  # noqa: E731 (the real one still runs)
    monkeypatch.setattr(second_opinion, "transcribe", spy)
    phrase = np.trim_zeros(espeak("too painful", tmp_path / "pain.wav"))
    # longer than the segmenter's hangover (two segments), shorter than the quiet a command needs
    silence, beat = np.zeros(16_000, np.int16), np.zeros(16_000 * 45 // 100, np.int16)
    pcm = np.concatenate([silence, phrase, beat, phrase, silence])
    pcm = (pcm + np.random.default_rng(0).normal(0, 30, len(pcm))).astype(np.int16)
    recognizer = PocketSphinxRecognizer(PocketSphinxOptions(second_opinion=SecondOpinionOptions()))
    events = [e for i in range(0, len(pcm), 1600) for e in recognizer.feed(pcm[i : i + 1600])]
    assert [event.command for event in events] == ["pain"]
    assert len(calls) == 1  # the first phrase only


def test_a_phrase_transcribed_over_and_over_is_the_phrase() -> None:
    """Moonshine wrote Piper's "go back" in pink noise as "Go back. Go back.": as a whole, twice
    as long as the phrase; it is the phrase."""
    opinion = SecondOpinion(SESSION)
    opinion.heard = ["Go back. Go back."]
    match = opinion._closest(None)
    assert match is not None
    assert (match.intent, match.distance) == ("previous", 0.0)
    ordinary = "Put your hands under your hips."
    assert second_opinion.once(ordinary) == ordinary


def test_a_transcript_it_cannot_sound_out_leaves_the_decision_to_the_decoder() -> None:
    opinion = SecondOpinion(SESSION)
    opinion.heard = ["And Lercot."]  # Moonshine on flite's "end workout"; "lercot" is no word
    assert opinion._closest(None) is None
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(second_opinion, "transcribe", lambda pcm: ["And Lercot."])
        verdict = opinion.judge(segment(np.zeros(1600, np.int16)), proposed="end")
    assert verdict is second_opinion.ABSTAIN


LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")


@pytest.mark.skipif(not LIBRIVOX.is_dir(), reason="pocketsphinx-testdata is not installed")
def test_real_read_speech_is_transcribed_as_what_it_is() -> None:
    """The negatives the benchmark scores: recorded LibriVox speech, not a command phrase."""
    pcm = read_wav(sorted(LIBRIVOX.glob("*.wav"))[0])[: 16_000 * 4]
    words = " ".join(transcribe(pcm)).split()
    assert len(words) >= 5
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


def test_a_phrase_repeated_until_cut_off_is_the_phrase() -> None:
    """Piper's slow "wait a moment" in pink noise: Moonshine ran out of tokens mid-repeat."""
    assert second_opinion.once("Wait a moment wait a moment wait") == "wait a moment"
    assert second_opinion.once("Move line move line move line move") == "move line"
    assert second_opinion.once("Do you think what?") == "Do you think what?"


def judged(
    monkeypatch: pytest.MonkeyPatch, heard: str, proposed: str, trust: Trust = Trust.VERIFIED
) -> str | None:
    """The intent the second opinion lets stand when Moonshine wrote `heard` (a transcript it
    wrote in the benchmark, faked here so the rule is tested apart from the model)."""
    monkeypatch.setattr(second_opinion, "transcribe", lambda pcm: [heard])
    match = SecondOpinion(SESSION).judge(segment(np.zeros(1600, np.int16)), proposed, trust)
    return match.intent if match else None


def test_a_sure_decoder_or_a_pain_command_needs_less_backing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Moonshine on Piper's "skip exercise" in pink noise at 10 dB, and on a "too painful": the
    decoder had both right. A transcript this far off vetoes an ordinary command, not these."""
    assert judged(monkeypatch, "Let's get back to our size.", "skip") is None
    assert judged(monkeypatch, "Let's get back to our size.", "skip", Trust.SURE) == "skip"
    assert judged(monkeypatch, "Do you think what?", "pain") == "pain"
    assert judged(monkeypatch, "Do you think what?", "pain", Trust.WEAK) == "pain"
    assert judged(monkeypatch, "Seven of clubs.", "repeat") is None  # real speech, not sure
    assert judged(monkeypatch, "Four queen of gloves.", "slower", Trust.SURE) is None  # too far


def test_a_barely_verified_command_needs_close_backing(monkeypatch: pytest.MonkeyPatch) -> None:
    """alsa-utils' recording "Front right", which the decoder heard as "next exercise" with
    a weak margin: Moonshine had it right, 0.83 phone edits per phone from the phrase."""
    assert judged(monkeypatch, "Front right.", "next", Trust.VERIFIED) == "next"
    assert judged(monkeypatch, "Front right.", "next", Trust.WEAK) is None
    assert judged(monkeypatch, "The next.", "next", Trust.WEAK) == "next"  # said less clearly


def test_unsuppressed_audio_is_heard_when_the_suppressed_gives_no_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Transcripts Moonshine wrote for espeak's Scottish "skip": "Scam." after noise
    suppression; faked here, told apart by the audio they are given."""
    suppressed, unsuppressed = np.zeros(1600, np.int16), np.ones(1600, np.int16)
    heard: list[str] = []

    def fake_transcribe(pcm: np.ndarray) -> list[str]:
        heard.append("Scam." if pcm is suppressed else "Skip.")
        return heard[-1:]

    monkeypatch.setattr(second_opinion, "transcribe", fake_transcribe)
    opinion = SecondOpinion(SESSION)
    match = opinion.judge(segment(suppressed), None, Trust.VERIFIED, unsuppressed)
    assert match is not None and match.intent == "skip"
    assert heard == ["Scam.", "Skip."]
    heard.clear()
    assert opinion.judge(segment(unsuppressed), "skip", Trust.VERIFIED, suppressed) is not None
    assert heard == ["Skip."]  # a command on the first hearing: no second


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


def test_too_painful_among_the_decoders_hypotheses_is_rescued_by_a_close_transcript(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Moonshine on espeak-ng's "this hurts" in pink noise at 10 dB, which the decoder had only
    below its margin: nothing else makes it a command. The coach's "Down." is as close to
    "done", but only "too painful" is rescued this way."""
    monkeypatch.setattr(second_opinion, "transcribe", lambda pcm: ["This works."])
    opinion = SecondOpinion(SESSION)
    assert opinion.judge(segment(np.zeros(1600, np.int16)), None, Trust.WEAK) is None
    asked: list[str] = []

    def hypotheses(found: set[str]) -> set[str]:
        asked.append("asked")
        return found

    match = opinion.rescue(lambda: hypotheses({"pain", "status"}))
    assert match is not None and (match.intent, match.phrase) == ("pain", "this hurts")
    assert opinion.rescue(lambda: hypotheses({"status"})) is None  # the decoder never had it
    opinion.heard = ["Down."]
    asked.clear()
    assert opinion.rescue(lambda: hypotheses({"next", "pain"})) is None
    assert asked == []  # far from every "too painful" phrase: the decoder is not asked
