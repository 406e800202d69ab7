"""The benchmark's real-room conditions: real recordings mixed at the asked SNR, held out by
recording, and never seen by bench.evidence (so never fitted on)."""

import math
from pathlib import Path

import numpy as np
import pytest

from bench import evidence, noise, recognition, report, room
from bench.streams import build

RATE = 16_000
RECORDED = [c for c in noise.REAL_ROOM if c.recorded]


def tone_stream():
    """A stream of three tone bursts: the SNR arithmetic does not need speech."""
    t = np.arange(RATE) / RATE
    clips = [(f"tone {f}", "tones", 8000 * np.sin(2 * np.pi * f * t)) for f in (300, 500, 700)]
    return build("commands", clips, seed=0)


@pytest.fixture
def small_talkers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Talkers with few lines (Tux Paint's Dutch and Lithuanian readers): decoding a whole
    report half's talkers takes minutes."""
    monkeypatch.setitem(room.HALVES, "tv speech", {"tune": ("nl",), "report": ("lt",)})
    monkeypatch.setitem(room.HALVES, "babble", {"tune": ("nl",), "report": ("lt", "nl")})


@pytest.mark.parametrize("condition", RECORDED, ids=lambda c: c.name)
def test_real_room_noise_is_mixed_at_the_asked_snr(
    condition: noise.Condition, small_talkers: None
) -> None:
    if reason := noise.missing(condition):
        pytest.skip(reason)
    stream = tone_stream()
    noisy = noise.apply(condition, stream.audio, stream.speech_power, seed=1)
    residual = noisy.astype(float) - stream.audio
    snr = 10 * math.log10(stream.speech_power / (residual**2).mean())
    assert abs(snr - condition.snr_db) < 0.5
    again = noise.apply(condition, stream.audio, stream.speech_power, seed=1)
    assert np.array_equal(noisy, again)  # the same noise in every run


def test_no_recording_is_in_both_halves() -> None:
    """Held out by recording: no song, sound or talker (a language's readers) of the report
    half is in the tune half; TV speech and babble draw on the same talkers, so across both."""
    for kind, halves in room.HALVES.items():
        assert set(halves["tune"]).isdisjoint(halves["report"]), kind
        assert halves["tune"] and halves["report"], kind
    talkers = ("tv speech", "babble")
    tune = {name for kind in talkers for name in room.HALVES[kind]["tune"]}
    held_out = {name for kind in talkers for name in room.HALVES[kind]["report"]}
    assert tune.isdisjoint(held_out)


@pytest.mark.parametrize("kind", room.KINDS)
def test_every_named_recording_is_in_its_package(kind: str) -> None:
    if reason := room.missing(kind):
        pytest.skip(reason)
    for half in ("tune", "report"):
        for name in room.HALVES[kind][half]:
            if kind == "music":
                assert (room.MULDJORD / name / "song.ogg").is_file()
            elif kind == "clatter":
                assert (room.TUXPAINT / f"{name}.ogg").is_file()
            else:
                assert len(list(room.TUXPAINT.rglob(f"*_desc_{name}.ogg"))) > 300, name


def test_evidence_never_sees_a_report_only_condition(monkeypatch: pytest.MonkeyPatch) -> None:
    """bench.evidence (the fitted model's data) runs every condition the benchmark does but the
    real room's; asked to run one, it refuses before any audio is made; and the conditions it
    runs never play a recording of the report half."""
    streams = {kind: tone_stream() for kind in ("commands", "real speech", "coach")}
    jobs = evidence.jobs(streams)
    conditions = {condition for _, condition in jobs}
    assert conditions == {c for c in noise.CONDITIONS if not c.report_only}
    assert all(c.report_only for c in noise.REAL_ROOM)
    played = []
    monkeypatch.setattr(room, "bed", lambda *args: played.append(args))
    for condition in conditions:
        noise.apply(condition, streams["commands"].audio[:RATE], 1e6, seed=0)
    assert played == []
    for condition in noise.REAL_ROOM:
        with pytest.raises(ValueError, match="report only"):
            evidence._job(("commands", condition))


def test_the_benchmark_runs_the_real_room_on_commands_and_reports_it() -> None:
    music = next(c for c in noise.REAL_ROOM if c.recorded == "music")
    assert recognition.measured("commands", music)
    assert not any(recognition.measured(k, music) for k in ("real speech", "coach", "chatter"))
    assert {c.name for c in noise.REAL_ROOM if c.recorded} <= set(noise.QUICK_CONDITIONS)
    rows = [
        {"system": "ps-default", "condition": name, "kind": "commands", "utterances": 10,
         "correct": correct, "substitutions": 0, "misses": 10 - correct, "false_commands": 0,
         "latencies": [0.2] * correct, "audio_seconds": 60.0, "cpu_seconds": 1.0,
         "peak_added_mb": 1.0, "by_command": {"pain": [1, 2]}}
        for name, correct in (("clean", 10), ("music 10 dB", 9), ("music 5 dB", 7))
    ]  # fmt: skip
    summary = report.summary_table(rows)
    assert "acc music 10 / 5 dB" in summary
    assert "| 90.0% / 70.0% |" in summary
    assert "| – / – |" in summary  # babble, TV speech, clatter: not run
    per_condition = report.condition_table(rows)
    assert "| ps-default | music 5 dB | 70.0% | 0 | 3 | 0 |" in per_condition
    assert per_condition.count("| 1 of 2 | 200 |") == 3  # "too painful" heard, p95 latency


def test_a_missing_package_leaves_its_conditions_out_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(room, "MULDJORD", tmp_path / "no-muldjord")
    monkeypatch.setattr(room, "TUXPAINT", tmp_path / "no-tuxpaint")
    names = [c.name for c in recognition._conditions(quick=True)]
    printed = capsys.readouterr().out
    assert "skipped music 10 dB: fretsonfire-songs-muldjord not installed" in printed
    assert "skipped babble 5 dB: tuxpaint-stamps-default not installed" in printed
    assert not any(c.recorded and c.name in names for c in noise.REAL_ROOM)
    assert names[:3] == ["clean", "pink 10 dB", "pink 0 dB"]
    chosen = recognition._conditions(quick=False, chosen=["music 5 dB", "pink 5 dB", "clean"])
    assert [c.name for c in chosen] == ["clean", "pink 5 dB"]


def test_tuning_plays_the_tune_half_and_never_writes_the_report(
    small_talkers: None, capsys: pytest.CaptureFixture[str]
) -> None:
    condition = noise.REAL_ROOM[0]
    if reason := noise.missing(condition):
        pytest.skip(reason)
    [tuned] = recognition._conditions(quick=False, chosen=[condition.name], half="tune")
    assert (tuned.recorded, tuned.half) == (condition.recorded, "tune")
    tune = noise.background(tuned, RATE, np.random.default_rng(3))
    report_half = noise.background(condition, RATE, np.random.default_rng(3))
    assert not np.array_equal(tune, report_half)
    with pytest.raises(SystemExit):
        recognition.main(["--tune", "--quick"])
    assert "give --out elsewhere" in capsys.readouterr().err


def test_the_simulated_room_has_the_asked_reverberation() -> None:
    if reason := room.room_missing():
        pytest.skip(reason)
    import pyroomacoustics as pra

    impulse = room.room_impulse(0.6, 2.0)
    assert np.argmax(np.abs(impulse)) < 64  # direct path first
    assert math.isclose(np.sum(impulse**2), 1.0)
    assert 0.5 < pra.experimental.measure_rt60(impulse, RATE) < 0.7
