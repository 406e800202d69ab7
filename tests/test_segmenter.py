"""The segmenter finds a command inside continuous sound: other people talking, nearer and
louder than them, as in a real room (issue 31). Real speech from flite, mixed here."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from voicecoach.audio.wavio import read_wav
from voicecoach.speech.segmenter import Segment, Segmenter, SegmenterConfig

from audio_stack import rms

RATE = 16_000
TALK = [
    "The weather will stay dry for most of the week, with some cloud in the north.",
    "Prices rose again last month, mostly for food and for energy.",
    "The team played well in the second half and nearly won the game.",
]


def babble(spoken: Callable[[str], Path], seconds: float) -> np.ndarray:
    """Three people talking at once, on and on, each line after a short pause."""
    rng = np.random.default_rng(0)
    total = np.zeros(int(seconds * RATE))
    for i, line in enumerate(TALK):
        voice = read_wav(spoken(line)).astype(float)
        pause = np.zeros(int(0.3 * RATE))
        one = np.concatenate([voice, pause] * (len(total) // (len(voice) + len(pause)) + 2))
        start = rng.integers(len(voice)) + i
        total += one[start : start + len(total)]
    return total


def segments(audio: np.ndarray, vad: str) -> list[Segment]:
    segmenter = Segmenter(SegmenterConfig(vad=vad))
    found = []
    for i in range(0, len(audio), 1600):
        found += segmenter.feed(audio[i : i + 1600])
    return found + segmenter.flush()


def the_command(found: list[Segment], start: float, end: float) -> list[Segment]:
    """Segments short enough to be decoded whose audio holds the whole command and little
    else: speech found from just before it (not in the talk before) to just after it."""
    return [
        s
        for s in found
        if not s.too_long
        and s.start / RATE <= start + 0.05
        and start - 0.4 <= s.speech_start / RATE
        and end - 0.2 <= s.speech_end / RATE <= end + 0.5
    ]


def trimmed(pcm: np.ndarray) -> np.ndarray:
    """The phrase without flite's leading and trailing silence."""
    loud = np.flatnonzero(np.abs(pcm) > 0.05 * np.abs(pcm).max())
    return pcm[loud[0] : loud[-1] + 1]


def room_with_command(spoken: Callable[[str], Path], snr_db: float | None) -> tuple:
    """8 s of background talk (or quiet), "too painful" said at 5 s, `snr_db` above the talk."""
    command = trimmed(read_wav(spoken("too painful")).astype(float))
    background = babble(spoken, 8.0)
    audio = np.random.default_rng(1).normal(0, 3, len(background))  # a microphone's own noise
    if snr_db is not None:
        background *= rms(command) / rms(background) / 10 ** (snr_db / 20)
        audio += background
    at = 5 * RATE
    audio[at : at + len(command)] += command
    pcm = np.clip(audio, -32768, 32767).astype(np.int16)
    return pcm, 5.0, 5.0 + len(command) / RATE


@pytest.mark.parametrize("snr_db", [10, 6])
def test_a_command_over_people_talking_gets_its_own_segment(spoken, snr_db: float) -> None:
    pcm, start, end = room_with_command(spoken, snr_db)
    assert len(the_command(segments(pcm, "background"), start, end)) == 1
    # The energy VAD's floor falls into the talkers' pauses: the talk is speech to it, and the
    # command merges into one long segment with it (the deafness issue 31 measured).
    assert the_command(segments(pcm, "energy"), start, end) == []


def test_in_a_quiet_room_both_find_the_command(spoken) -> None:
    pcm, start, end = room_with_command(spoken, None)
    for vad in ("background", "energy"):
        [segment] = segments(pcm, vad)
        assert the_command([segment], start, end) == [segment], vad


@pytest.mark.parametrize("snr_db", [10, 6])
def test_too_painful_over_people_talking_is_heard_by_default(spoken, snr_db: float) -> None:
    """The default recogniser, second opinion and all: the pain command is not lost in talk."""
    from voicecoach.speech.pocketsphinx.engine import PocketSphinxRecognizer

    pcm, start, _ = room_with_command(spoken, snr_db)
    recognizer = PocketSphinxRecognizer()
    heard = []
    for i in range(0, len(pcm), 1600):
        heard += recognizer.feed(pcm[i : i + 1600])
    heard += recognizer.flush()
    assert [(str(e.command), round(e.start)) for e in heard] == [("pain", round(start))]


@pytest.mark.parametrize("phrase", ["list workouts", "too painful"])
def test_a_command_said_just_after_the_microphone_opens_is_whole(spoken, phrase: str) -> None:
    """serve opens the microphone after each line and the person may answer at once: a floor
    learned from 0.1 s of room must not climb onto the command itself and cut it short."""
    command = trimmed(read_wav(spoken(phrase)).astype(float))
    audio = np.random.default_rng(1).normal(0, 3, int(0.1 * RATE) + len(command) + RATE)
    at = int(0.1 * RATE)
    audio[at : at + len(command)] += command
    pcm = np.clip(audio, -32768, 32767).astype(np.int16)
    [segment] = segments(pcm, "background")
    assert the_command([segment], 0.1, 0.1 + len(command) / RATE) == [segment]
