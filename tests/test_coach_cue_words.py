"""The coach's short lines must not sound like commands: the microphone hears the coach too.

The echo guard drops what the coach said itself, but in a real room it is the last line of
defence. The benchmark's coach stream found "Lower." taken for "slower", "Reach." for "repeat"
and "Tilt." for "help" by the recogniser alone (111 in 14 minutes of the coach's speech, all
but one stopped by the guard); each short line is heard here alone, in both coach voices.
"""

import numpy as np
import pytest

from bench import tts
from voicecoach.coach.script import build_script
from voicecoach.routines import load_library
from voicecoach.speech.engines import make_recognizer
from voicecoach.speech.recognizer import recognize_stream

SHORT = 3  # words: counts, cue words, the lines of a rep


def short_lines() -> list[str]:
    library = load_library()
    lines = {
        cue.text
        for routine in library.routines.values()
        for step in build_script(library, routine)
        for cue in step.cues
        if len(cue.text.split()) <= SHORT
    }
    return sorted(lines)


@pytest.mark.parametrize("voice", tts.COACH_VOICES, ids=lambda voice: voice.name)
def test_no_short_coach_line_is_heard_as_a_command(voice: tts.Voice) -> None:
    if not tts.available((voice,)):
        pytest.skip(f"{voice.engine} is not installed")
    recognizer = make_recognizer("pocketsphinx")
    silence = np.zeros(16_000, np.int16)
    heard = {}
    for line in short_lines():
        recognizer.reset()
        audio = np.concatenate([silence, tts.render(voice, line), silence, silence])
        blocks = [audio[i : i + 1600] for i in range(0, len(audio), 1600)]
        if commands := [event.command for event in recognize_stream(recognizer, blocks)]:
            heard[line] = commands
    assert heard == {}
