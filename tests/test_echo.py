"""The echo guard: the coach's own voice is dropped, a person talking over it is not."""

import numpy as np
import pytest
import soxr

from voicecoach.audio import SAMPLE_RATE
from voicecoach.audio.outputs import WavFileOutput
from voicecoach.speech.echo.guard import EchoGuard, phrase_in
from voicecoach.speech.recognizer import CommandEvent
from voicecoach.voices.speakers import make_speaker

COACH_LINE = "Rest for sixty seconds. Coming up: the bird dog."


@pytest.fixture(scope="module")
def voices():
    return make_speaker("espeak:en-us"), make_speaker("espeak:en-us+f3")


def room_with(
    coach_voice,
    user_voice,
    tmp_path,
    user_at: float | None,
    user_gain: float = 1.0,
    late: float = 0.0,
):
    """The coach says a line at 1 s; the microphone hears it at half amplitude, noise, a user.

    `late`: the line really reached the room this much later than the output's record says.
    """
    output = WavFileOutput(tmp_path / "coach.wav", rate=SAMPLE_RATE)
    pcm, rate = coach_voice.render(COACH_LINE)
    output.play(pcm, rate, COACH_LINE, at=1.0)
    track = output.audio.astype(np.float64) * 0.5
    shift = round(late * SAMPLE_RATE)
    track = np.pad(track, (shift, 0)) if shift >= 0 else track[-shift:]
    mic = np.pad(track, (0, 3 * SAMPLE_RATE))
    rng = np.random.default_rng(1)
    mic += rng.normal(0, 30, len(mic))
    user_span = None
    if user_at is not None:
        user, user_rate = user_voice.render("too painful")
        user = soxr.resample(user.astype(np.float64), user_rate, SAMPLE_RATE) * user_gain
        start = round(user_at * SAMPLE_RATE)
        mic[start : start + len(user)] += user
        user_span = (user_at, user_at + len(user) / SAMPLE_RATE)
    guard = EchoGuard(output)
    mic16 = np.clip(mic, -32768, 32767).astype(np.int16)
    block = SAMPLE_RATE // 10
    for i in range(0, len(mic16), block):
        guard.hear(mic16[i : i + block], i / SAMPLE_RATE)
    return guard, user_span


def heard(text: str, start: float, end: float) -> CommandEvent:
    return CommandEvent(text, text, start, end, end + 0.3, 0.9)


def test_the_coach_alone_is_echo(voices, tmp_path):
    guard, _ = room_with(*voices, tmp_path, user_at=None)
    # whatever a recogniser might make of any stretch of the coach's line
    for start in np.arange(1.0, 3.5, 0.25):
        assert guard.is_echo(heard("what's left", start, start + 0.6), lambda t: t)
    assert 0.2 < guard.gate.gain < 0.3  # it learned the room's gain: half amplitude, quarter power


@pytest.mark.parametrize("late", [-0.1, 0.15, 0.3])
def test_the_coach_is_echo_when_it_played_out_of_step_with_the_record(voices, tmp_path, late):
    """A sound server starting a stream late (or an underflow) shifts a line: the echo shows it."""
    guard, _ = room_with(*voices, tmp_path, user_at=None, late=late)
    for start in np.arange(1.0 + max(late, 0), 3.5, 0.25):
        assert guard.is_echo(heard("what's left", start, start + 0.6), lambda t: t)


def test_a_person_talking_over_the_coach_is_heard(voices, tmp_path):
    guard, (start, end) = room_with(*voices, tmp_path, user_at=1.6)
    assert not guard.is_echo(heard("too painful", start, end), lambda t: t)


@pytest.mark.parametrize("user_at", [1.2, 1.6, 2.2])
def test_a_person_6_db_above_the_coach_is_heard_anywhere_in_its_line(voices, tmp_path, user_at):
    # Over continuous speech a person must be clearly louder than the coach's echo: the gate
    # leans to dropping a command rather than obeying the coach's own voice (no echo canceller).
    guard, (start, end) = room_with(*voices, tmp_path, user_at=user_at, user_gain=1.0)
    assert not guard.is_echo(heard("too painful", start, end), lambda t: t)


def test_when_the_coach_is_silent_nothing_is_echo(voices, tmp_path):
    guard, _ = room_with(*voices, tmp_path, user_at=None)
    line_end = guard.output.played()[-1].end
    assert not guard.is_echo(heard("pause", line_end + 1.0, line_end + 1.6), lambda t: t)


def test_the_coach_saying_the_words_is_echo_by_text(voices, tmp_path):
    assert phrase_in("hold on", "Hold on to your knee.")
    assert not phrase_in("hold on", "Hold. 5. 4.")
    assert phrase_in("what can i say", "You can say: next, what can I say.")
