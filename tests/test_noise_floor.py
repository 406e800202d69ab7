"""The noise floor PocketSphinx's decoder hears under very clean speech."""

import numpy as np

from voicecoach.speech.pocketsphinx.noise_floor import FRAME, NoiseFloor

from audio_stack import power_db


def tone(seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(int(16_000 * seconds)) / 16_000
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


def test_a_silent_pause_is_filled_to_its_depth_under_the_loudest_frame_so_far() -> None:
    floor = NoiseFloor(34.0)
    floor.start_segment()
    silence = np.zeros(16 * FRAME, np.int16)
    loud = tone(0.3, 10_000)
    floor.add(silence)
    floor.add(tone(0.3, 1_000))  # a quiet start: the floor follows the loudest frame
    floor.add(loud)
    added = floor.add(silence)
    assert abs(power_db(added) - (power_db(loud) - 34.0)) < 1.0


def test_noise_already_there_counts_towards_the_floor() -> None:
    rng = np.random.default_rng(1)
    hiss = rng.normal(0, 10_000 * 10 ** (-40 / 20), 32 * FRAME).astype(np.int16)  # 37 dB under
    before, after = hiss[: 16 * FRAME], hiss[16 * FRAME :]
    floor = NoiseFloor(34.0)
    floor.start_segment()
    floor.add(before)
    floor.add(tone(0.3, 10_000))
    added = floor.add(after).astype(np.float64) - after
    target = power_db(tone(0.3, 10_000)) - 34.0
    expected = 10 * np.log10(10 ** (target / 10) - 10 ** (power_db(hiss) / 10))
    assert abs(power_db(added) - expected) < 1.0

    loud_hiss = (hiss.astype(np.float64) * 10).astype(np.int16)  # 17 dB under: enough already
    floor.start_segment()
    floor.add(loud_hiss)
    speech = tone(0.3, 10_000)
    assert np.array_equal(floor.add(speech), speech)


def test_each_segment_measures_its_own_level() -> None:
    floor = NoiseFloor(34.0)
    floor.start_segment()
    floor.add(tone(0.3, 10_000))
    floor.start_segment()
    silence = np.zeros(16 * FRAME, np.int16)
    floor.add(silence)
    quiet = tone(0.3, 300)
    floor.add(quiet)
    added = floor.add(silence)
    assert abs(power_db(added) - (power_db(quiet) - 34.0)) < 1.5


def test_silence_alone_gets_no_floor() -> None:
    floor = NoiseFloor(34.0)
    floor.start_segment()
    assert not floor.add(np.zeros(8 * FRAME, np.int16)).any()


def test_the_noise_runs_on_from_call_to_call() -> None:
    """Pieces added one frame at a time get the same noise as one piece: no restarts."""
    signal = tone(0.6, 10_000)
    whole = NoiseFloor(30.0)
    whole.start_segment()
    whole.add(np.zeros(FRAME, np.int16))
    whole.add(signal[:FRAME])
    pieces = NoiseFloor(30.0)
    pieces.start_segment()
    pieces.add(np.zeros(FRAME, np.int16))
    pieces.add(signal[:FRAME])
    rest = signal[FRAME:]
    one = whole.add(rest)
    many = np.concatenate([pieces.add(rest[i : i + FRAME]) for i in range(0, len(rest), FRAME)])
    assert np.array_equal(one, many)
