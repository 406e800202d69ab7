"""The recognition benchmark's harness, end to end on three phrases (no targets asserted)."""

import json
import math
import shutil
from itertools import pairwise
from pathlib import Path

import pytest

from bench import evidence, fit, negatives, noise, recognition, report, systems, tts
from bench.evaluate import run
from bench.streams import build
from voicecoach.speech.commands import command_for
from voicecoach.speech.moonshine.second_opinion import SecondOpinionOptions
from voicecoach.speech.moonshine.verdict import Model

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")

VOICE = tts.BENCH_VOICES[0]
PHRASES = ("skip", "too painful", "what can i say")


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tts, "CACHE", tmp_path / "tts")


def test_bench_voices_are_not_the_tests_voice() -> None:
    plain = [v for v in tts.BENCH_VOICES if v.engine == "espeak" and v.voice == "en-us"]
    assert plain == []


def test_streams_place_each_phrase_where_the_truth_says() -> None:
    clips = [(text, VOICE.name, tts.render(VOICE, text)) for text in PHRASES]
    stream = build("commands", clips, seed=0)
    assert [p.text for p in stream.placed] == list(PHRASES)
    for before, after in pairwise(stream.placed):
        assert 1.5 <= after.start - before.end <= 4.0
    loud = abs(stream.audio[int(stream.placed[0].start * 16_000) :].astype(float)).max()
    assert loud > 1000 and abs(stream.audio[:8000].astype(float)).max() == 0


@pytest.mark.skipif(
    not negatives.ALSA_SOUNDS.is_dir(), reason="alsa-utils not installed (scripts/install --dev)"
)
def test_short_phrases_are_the_alsa_recordings_at_three_speeds() -> None:
    recordings = sorted(negatives.ALSA_SOUNDS.glob("*.wav"))
    clips = negatives.short_phrase_clips()
    assert len(clips) == 3 * len(recordings) > 0
    assert all(0.5 < len(pcm) / 16_000 < 3 for _, _, pcm in clips)


def test_noise_is_mixed_at_the_asked_snr() -> None:
    clips = [(text, VOICE.name, tts.render(VOICE, text)) for text in PHRASES]
    stream = build("commands", clips, seed=0)
    condition = noise.Condition("pink 10 dB", "pink", 10)
    noisy = noise.apply(condition, stream.audio, stream.speech_power, seed=0)
    residual = noisy.astype(float) - stream.audio
    snr = 10 * math.log10(stream.speech_power / (residual**2).mean())
    assert abs(snr - 10) < 0.5


def test_harness_scores_a_run_and_writes_the_report(tmp_path: Path) -> None:
    clips = [(text, VOICE.name, tts.render(VOICE, text)) for text in PHRASES]
    streams = {kind: build(kind, clips, seed=0) for kind in ("commands", "real speech")}
    negative_kinds = ("short phrases", "exclamations", "chatter", "coach")
    streams |= {kind: build(kind, clips[:1], seed=1) for kind in negative_kinds}
    results = []
    for condition in noise.CONDITIONS[:2]:
        for kind, stream in streams.items():
            audio = noise.apply(condition, stream.audio, stream.speech_power, seed=0)
            score = run(systems.factory("ps-default"), stream, audio, kind)
            results.append({"system": "ps-default", "condition": condition.name, **vars(score)})
    commands = results[0]
    assert commands["utterances"] == 3
    total = commands["correct"] + commands["substitutions"] + commands["misses"]
    assert total == 3
    assert all(0 <= x < 2 for x in commands["latencies"])
    assert commands["cpu_seconds"] > 0 and commands["audio_seconds"] > 5
    report.write(results, streams, tmp_path, quick=True, seconds=1.0)
    text = (tmp_path / "recognition.md").read_text()
    assert "| ps-default |" in text and "short real phrases" in text
    assert f"| {VOICE.name} | " in text  # commands heard, by voice
    pain = commands["by_command"]["pain"]
    assert pain[1] == sum(command_for(text) == "pain" for text in PHRASES)
    assert f"| {pain[0]} of {pain[1]} |" in text  # "too painful" heard, per condition
    condition = commands["condition"]
    summary = f"| ps-default | {condition} | {pain[1]} | {pain[0]} | {commands['asked']} |"
    assert summary in text  # and in the summary's pain table, with the times the coach asked
    assert (tmp_path / "recognition-accuracy.png").stat().st_size > 0
    assert (tmp_path / "recognition-latency.png").stat().st_size > 0


def test_the_coach_stream_is_also_scored_past_the_echo_guard() -> None:
    """Commands the recogniser finds in the coach's own speech, and those the live path's echo
    guard would still obey (none here: every line is its own echo, heard on time)."""
    clips = [(text, VOICE.name, tts.render(VOICE, text)) for text in PHRASES]
    stream = build("coach", clips, seed=0)
    score = run(systems.factory("ps-default"), stream, stream.audio, "coach")
    assert score.false_commands >= 2  # the recogniser alone obeys the coach saying commands
    assert score.guarded_false == 0


def test_evidence_logs_every_judged_segment_and_replays_it_as_the_recogniser_judged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """bench.evidence's log, replayed under the recogniser's own options, gives the verdicts
    the recogniser gave; under other options, other verdicts."""
    clips = [(text, VOICE.name, tts.render(VOICE, text)) for text in PHRASES]
    monkeypatch.setitem(recognition._STREAMS, "commands", build("commands", clips, seed=0))
    rows = evidence._job(("commands", noise.CONDITIONS[0]))
    assert [row["said"] for row in rows] == [[text] for text in PHRASES]
    assert [row["voices"] for row in rows] == [[VOICE.name]] * len(PHRASES)
    assert [row["verdict"] for row in rows] == [str(command_for(text)) for text in PHRASES]
    assert all(len(row["hearings"]) == 2 for row in rows)  # suppressed and unsuppressed
    assert all(row["odds"][row["verdict"]] >= 0.4 for row in rows)
    counts = evidence.replay(rows, SecondOpinionOptions())
    logged = {key[:3]: n for key, n in counts.items() if key[3] == "logged"}
    assert logged == {key[:3]: n for key, n in counts.items() if key[3] == "replayed"}
    deaf = evidence.replay(rows, SecondOpinionOptions(threshold=1.1, lenient_threshold=1.1))
    assert counts["commands", "clean", "right", "replayed"] == 3
    assert deaf["commands", "clean", "right", "replayed"] == 0


def logged_segment(said: str | None, heard: dict[str, float], decoded: str | None, voice: str):
    """A row as bench.evidence writes it (both hearings alike)."""
    kind = "commands" if said else "exclamations"
    return {
        "kind": kind, "condition": "clean", "said": [said] if said else ["Oof"],
        "voices": [voice], "start": 1.0, "end": 1.6, "decoded": decoded, "margin": 8.0,
        "weak": False, "verdict": None, "odds": {}, "hearings": [heard, heard],
    }  # fmt: skip


def test_fit_cross_validates_by_voice_and_writes_weights_the_recogniser_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a hand-made log where commands are near their phrase and grunts near their decoy,
    the fitted model tells them apart, held out or not."""
    rows = []
    for i in range(40):
        voice = f"voice {i}"
        rows.append(logged_segment("help", {"help": 0.1 * (i % 10), "oh": 6.0}, "help", voice))
        rows.append(logged_segment(None, {"help": 2.5, "oof": 0.1 * (i % 10)}, None, voice))
    out = tmp_path / "weights.json"
    assert fit.main([str(write_lines(tmp_path / "log.jsonl", rows)), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| commands | clean | 0 -> 40 | 0 -> 0 | 0 -> 0 |" in printed
    assert "| exclamations | clean | 0 -> 0 | 0 -> 0 | 0 -> 0 |" in printed
    model = Model.load(out)
    counts = evidence.replay(rows, SecondOpinionOptions(), model)
    assert counts["commands", "clean", "right", "replayed"] == 40
    assert counts["exclamations", "clean", "false", "replayed"] == 0


def write_lines(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path
