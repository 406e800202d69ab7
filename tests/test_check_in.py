"""The check-in's answers, as the question offers them, are heard in a quiet room.

A quiet room is the hard case for the second opinion: with no room tone around it, Moonshine
writes a rare phrase as the common one it sounds like ("dull ache" as "The lake."), and the
answer is lost (docs/decisions/2026-12-03-check-in-answers.md). Four flite voices, digital
silence around each answer, at offsets that move it across the segmenter's 30 ms frames.
"""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from voicecoach.audio import SAMPLE_RATE
from voicecoach.audio.wavio import read_wav
from voicecoach.serve import QUESTION
from voicecoach.speech.commands import CHECK_IN
from voicecoach.speech.engines import make_recognizer
from voicecoach.speech.recognizer import recognize_stream

OFFERED = ("no pain", "a bit sore", "sharp pain")
VOICES = ("kal16", "slt", "rms", "awb")
OFFSETS = (0.013, 0.171, 0.392)  # seconds of silence before the answer, past half a second


def test_the_question_offers_these_answers() -> None:
    assert all(answer in QUESTION.lower() for answer in OFFERED)


@pytest.mark.parametrize("voice", VOICES)
def test_each_offered_answer_is_heard_in_a_quiet_room(voice: str, tmp_path: Path) -> None:
    if shutil.which("flite") is None:
        pytest.skip("flite not installed (scripts/install --dev installs it)")
    recognizer = make_recognizer("pocketsphinx", None, CHECK_IN, second_opinion=True)
    heard = {}
    for answer in OFFERED:
        wav = tmp_path / f"{answer}.wav"
        subprocess.run(["flite", "-voice", voice, "-t", answer, "-o", str(wav)], check=True)
        speech = read_wav(wav)
        for offset in OFFSETS:
            quiet = np.zeros(round((0.5 + offset) * SAMPLE_RATE), np.int16)
            pcm = np.concatenate([quiet, speech, np.zeros(2 * SAMPLE_RATE, np.int16)])
            recognizer.reset()
            block = SAMPLE_RATE // 10
            blocks = (pcm[i : i + block] for i in range(0, len(pcm), block))
            heard[answer, offset] = [e.command for e in recognize_stream(recognizer, blocks)]
    assert heard == {key: [CHECK_IN.intent_for(key[0])] for key in heard}
