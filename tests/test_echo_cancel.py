"""Echo cancellation: the coach's voice taken out of the microphone, a person over it kept.

Real audio and real engines: espeak-ng's coach, flite's person, WebRTC's canceller, PocketSphinx.
Mostly the room is computed (the echo at a delay, a gain and a short reverberation, with noise),
so that the delay the canceller must find is known exactly; the last test plays through the
PulseAudio room.
"""

import threading

import numpy as np
import pytest

from voicecoach.audio import SAMPLE_RATE
from voicecoach.audio.microphone import Microphone
from voicecoach.audio.outputs import PlayedAudio, SilentOutput, SoundDeviceOutput
from voicecoach.audio.wavio import read_wav
from voicecoach.speech.echo.cancel import EchoCanceller, available
from voicecoach.speech.engines import make_recognizer
from voicecoach.voices.speakers import make_speaker

pytestmark = pytest.mark.skipif(not available(), reason="no echo canceller (livekit) here")

LINES = [
    (1.0, "Lie on your back with your knees bent and your feet flat on the floor."),
    (7.0, "Tighten your stomach and press your lower back into the floor. Hold, and breathe."),
]
BLOCK = SAMPLE_RATE // 10


def level_db(samples: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(samples.astype(np.float64))) + 1))


def room(output: SilentOutput, seconds: float, delay: float) -> np.ndarray:
    """What the microphone hears of what `output` played: `delay` later than its record says
    (negative: earlier), at 0.6 of the level, with a short reverberation and a little noise."""
    played = output.played_audio(-delay, round(seconds * SAMPLE_RATE)).samples.astype(np.float64)
    response = np.zeros(round(0.05 * SAMPLE_RATE))
    response[[0, 37, 211, 530]] = [0.6, 0.2, -0.1, 0.05]
    echo = np.convolve(played, response)[: len(played)]
    return echo + np.random.default_rng(7).normal(0, 30, len(echo))


def with_person(mic: np.ndarray, person: np.ndarray, at: float, under_db: float) -> np.ndarray:
    """`person` said at `at` seconds, `under_db` below the level of the coach's echo there."""
    start = round(at * SAMPLE_RATE)
    echo = mic[start : start + len(person)]
    gain = 10 ** ((level_db(echo) - under_db - level_db(person)) / 20)
    mixed = mic.copy()
    mixed[start : start + len(person)] += person * gain
    return mixed


def cancel(canceller: EchoCanceller, mic: np.ndarray) -> np.ndarray:
    pcm = np.clip(mic, -32768, 32767).astype(np.int16)
    blocks = [
        canceller.process(pcm[i : i + BLOCK], i / SAMPLE_RATE) for i in range(0, len(pcm), BLOCK)
    ]
    return np.concatenate(blocks)


def commands(pcm: np.ndarray) -> list[str]:
    recognizer = make_recognizer("pocketsphinx")
    return [str(e.command) for e in recognizer.feed(pcm) + recognizer.flush()]


def coach_reading() -> SilentOutput:
    """The coach's LINES, played (recorded, not heard) at their times."""
    voice = make_speaker()
    output = SilentOutput()
    for at, text in LINES:
        pcm, rate = voice.render(text)
        output.play(pcm, rate, text, at=at)
    return output


@pytest.fixture(scope="module")
def coach() -> SilentOutput:
    return coach_reading()


@pytest.mark.parametrize("delay", [0.12, -0.03], ids=["echo-late", "echo-early"])
def test_the_coachs_voice_is_cancelled_once_its_delay_is_found(coach, delay):
    mic = room(coach, 14.0, delay)
    canceller = EchoCanceller(coach.played_audio)
    cleaned = cancel(canceller, mic)
    # The delay from the record to the echo, to the sample (the reverberation's first tap).
    assert canceller.delay == round(delay * SAMPLE_RATE)
    second = slice(round(8.0 * SAMPLE_RATE), round(12.0 * SAMPLE_RATE))
    assert level_db(mic[second]) - level_db(cleaned[second]) > 30


def test_each_stream_is_lined_up_with_its_own_echo():
    """A new output stream starts at a delay of its own, under load far from the last one (CI:
    50 ms to 0.8 s apart): each line here is its own stream, their echoes 0.18 s apart."""
    voice = make_speaker()
    streams = [SilentOutput(), SilentOutput()]
    for output, (at, text) in zip(streams, LINES, strict=True):
        output.play(*voice.render(text), text, at=at)

    def played(start: float, samples: int) -> PlayedAudio:
        first, second = (output.played_audio(start, samples) for output in streams)
        timelines = np.where(second.timelines > 0, 2, first.timelines)
        return PlayedAudio(first.samples + second.samples, timelines)

    mic = room(streams[0], 14.0, 0.12) + room(streams[1], 14.0, 0.30)
    canceller = EchoCanceller(played)
    cleaned = cancel(canceller, mic)
    assert canceller.delays == {1: round(0.12 * SAMPLE_RATE), 2: round(0.30 * SAMPLE_RATE)}
    second = slice(round(8.0 * SAMPLE_RATE), round(12.0 * SAMPLE_RATE))
    assert level_db(mic[second]) - level_db(cleaned[second]) > 30


def test_too_painful_said_under_the_coachs_voice_is_heard(coach, spoken):
    person = read_wav(spoken("too painful")).astype(np.float64)
    mic = with_person(room(coach, 14.0, 0.12), person, at=9.0, under_db=6)
    assert commands(np.clip(mic, -32768, 32767).astype(np.int16)) == []  # merged with the coach
    assert commands(cancel(EchoCanceller(coach.played_audio), mic)) == ["pain"]


def test_nothing_is_cancelled_before_the_echo_is_found(coach):
    silent_room = np.random.default_rng(3).normal(0, 300, 2 * SAMPLE_RATE)
    canceller = EchoCanceller(coach.played_audio)  # the coach is quiet for the first second
    cleaned = cancel(canceller, silent_room)
    assert canceller.delay is None
    assert np.array_equal(cleaned, np.clip(silent_room, -32768, 32767).astype(np.int16))


@pytest.mark.audio
def test_in_the_room_the_coachs_lines_are_lined_up_with_their_echo_and_cancelled(room):
    voice = make_speaker()
    heard: list[tuple[np.ndarray, np.ndarray]] = []  # (as it came, cancelled)
    done = threading.Event()
    with SoundDeviceOutput() as output, Microphone() as mic:
        canceller = EchoCanceller(output.played_audio)

        def listen() -> None:
            for block in mic:
                start = mic.monotonic_at((mic.samples - len(block)) / SAMPLE_RATE)
                heard.append((block, canceller.process(block, start)))
                if done.is_set():
                    return

        thread = threading.Thread(target=listen)
        thread.start()
        for _, text in LINES * 2:  # queued together: one stream, one timeline
            output.play(*voice.render(text), text)
        assert output.wait(timeout=60)
        done.set()
        thread.join(timeout=5)
        last = output.played()[-1]
        began = mic.started_at
    raw = np.concatenate([block for block, _ in heard])
    cleaned = np.concatenate([block for _, block in heard])
    assert canceller.delay is not None
    span = slice(
        round((last.start - began + 0.5) * SAMPLE_RATE),
        round((last.end - began - 0.5) * SAMPLE_RATE),
    )
    assert level_db(raw[span]) > 60  # the coach was heard in the room ...
    assert level_db(raw[span]) - level_db(cleaned[span]) > 30  # ... and cancelled
    assert commands(cleaned) == []
