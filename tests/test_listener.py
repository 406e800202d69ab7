"""The one listening path: `listen`, `run` and `serve` hear through the same Listener.

Real audio and real engines: espeak-ng's coach, flite's person, WebRTC's canceller, PocketSphinx.
The room is computed (the coach's echo at a known delay, see test_echo_cancel); the microphone
is a `Recording`, a stand-in that plays that room block by block with the microphone's
interface, because these tests are about the chain, not the device (test_live_session and
test_serve cover the device through PulseAudio).
"""

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from voicecoach.audio import SAMPLE_RATE
from voicecoach.audio.outputs import SilentOutput
from voicecoach.audio.wavio import read_wav, write_wav
from voicecoach.coach.session import Session
from voicecoach.live import LiveCoach, VoiceCache
from voicecoach.serve import Server, recognizers
from voicecoach.settings import Settings
from voicecoach.speech import commands
from voicecoach.speech.commands import help_text
from voicecoach.speech.echo.cancel import available
from voicecoach.speech.engines import make_recognizer
from voicecoach.speech.listener import Judged, Listener
from voicecoach.voices.speakers import make_speaker

from session_support import mini_library
from test_echo_cancel import coach_reading, room, with_person

pytestmark = pytest.mark.skipif(not available(), reason="no echo canceller (livekit) here")

SECONDS = 20.0
BLOCK = SAMPLE_RATE // 10


@pytest.fixture(scope="module")
def coach() -> SilentOutput:
    return coach_reading()


@pytest.fixture(scope="module")
def echo(coach) -> np.ndarray:
    return room(coach, SECONDS, 0.12)


@pytest.fixture(scope="module")
def session_audio(echo, spoken) -> np.ndarray:
    """'too painful' under the coach's voice at 9 s, 'next' after it has finished at 16 s."""
    mic = with_person(echo, read_wav(spoken("too painful")).astype(np.float64), 9.0, 6)
    person = read_wav(spoken("next")).astype(np.float64)
    start = round(16.0 * SAMPLE_RATE)
    mic[start : start + len(person)] += person
    return np.clip(mic, -32768, 32767).astype(np.int16)


class Recording:
    """A microphone that plays `audio` from where the last one opened on it stopped; when the
    audio runs out it sets `done`. Times are the output's (a SilentOutput's session seconds)."""

    def __init__(self, audio: np.ndarray, done: threading.Event) -> None:
        self.audio, self.done = audio, done
        self.position = 0  # samples handed out, across openings
        self.opened_with_gain: list[float] = []  # the listener's learned gain at each opening
        self.listener: Listener | None = None

    def __call__(self) -> "Recording":
        if self.listener is not None:
            self.opened_with_gain.append(self.listener.guard.gate.gain)
        self.samples = self.position
        return self

    def __enter__(self) -> "Recording":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def __iter__(self):
        while self.position < len(self.audio):
            block = self.audio[self.position : self.position + BLOCK]
            self.position += len(block)
            self.samples = self.position
            yield block
        self.done.set()

    def monotonic_at(self, seconds: float) -> float:
        return seconds


def listen_cli(tmp_path: Path, mic: np.ndarray, *options: str) -> subprocess.CompletedProcess:
    write_wav(tmp_path / "mic.wav", mic)
    return subprocess.run(
        [sys.executable, "-m", "voicecoach", "listen", "--wav", str(tmp_path / "mic.wav"),
         "--engine", "pocketsphinx", "--no-second-opinion", *options],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def played_wav(coach: SilentOutput, path: Path) -> str:
    write_wav(path, coach.played_audio(0.0, round(SECONDS * SAMPLE_RATE)).samples)
    return str(path)


def test_listen_hears_pain_over_the_coach_given_what_was_played(coach, session_audio, tmp_path):
    played = played_wav(coach, tmp_path / "played.wav")
    with_echo = listen_cli(tmp_path, session_audio, "--played", played, "--echo-cancel")
    assert with_echo.returncode == 0, with_echo.stderr
    assert [line.split()[1] for line in with_echo.stdout.splitlines()] == ["pain", "next"]
    blind = listen_cli(tmp_path, session_audio, "--echo-cancel")  # nothing to cancel against
    assert "pain" not in blind.stdout


def test_listen_obeys_nothing_in_the_coachs_echo_alone(coach, echo, tmp_path):
    played = played_wav(coach, tmp_path / "played.wav")
    mic = np.clip(echo, -32768, 32767).astype(np.int16)
    result = listen_cli(tmp_path, mic, "--played", played, "--echo-cancel")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def test_played_without_a_recording_is_refused_in_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "voicecoach", "listen", "--played", str(tmp_path / "p.wav")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "voicecoach: --played needs --wav: it is what was played while that file was recorded"
    ]


def serve_path(coach: SilentOutput, audio: np.ndarray, tmp_path: Path):
    settings = Settings(
        data_dir=tmp_path, engine="pocketsphinx", second_opinion=False, echo_cancel=True
    )
    server = Server(mini_library(), settings, coach, VoiceCache(make_speaker()),
                    recognizers(settings))  # fmt: skip
    server.microphone = Recording(audio, server._stopping)
    server.microphone.listener = server.listener
    heard = []
    while (command := server.hear(commands.SESSION, timeout=None)) is not None:
        heard.append(command)
    return server, heard


def test_serve_cancels_echo_and_keeps_what_the_guard_learned(coach, session_audio, tmp_path):
    server, heard = serve_path(coach, session_audio, tmp_path)
    assert heard == ["pain", "next"]
    canceller = server.listener.cancel_echo.__self__
    assert canceller.delay == round(0.12 * SAMPLE_RATE)
    first, *later = server.microphone.opened_with_gain
    assert first == 1.0  # nothing learned before the first hearing
    assert later and all(gain != 1.0 for gain in later)  # ... and not forgotten after it


def test_run_and_serve_hear_the_same_commands_in_the_same_recording(coach, session_audio, tmp_path):
    _, serve_heard = serve_path(coach, session_audio, tmp_path)
    library = mini_library()
    voice = VoiceCache(make_speaker())
    session = Session(library, library.routines["quick"], voice.seconds, help_text=help_text())
    judged: list[Judged] = []
    listener = Listener(make_recognizer("pocketsphinx", second_opinion=False), coach, True,
                        (judged.append,))  # fmt: skip
    live = LiveCoach(session, listener, voice, coach, lambda: None)
    live.open_microphone = Recording(session_audio, live._stopping)
    live._listen()
    run_heard = []
    while not live.driver.inbox.empty():
        run_heard.append(str(live.driver.inbox.get().command))
    assert run_heard == [str(j.event.command) for j in judged if j.obeyed] == serve_heard
