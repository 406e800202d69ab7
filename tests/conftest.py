"""Shared fixtures. `room`: a private PulseAudio server with a speaker and a microphone."""

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from audio_stack import PulseRoom, pulseaudio_missing


@pytest.fixture(autouse=True)
def fresh_decoders() -> None:
    """Each test hears with new PocketSphinx decoders. A process shares them (`_SHARED`), and
    they adapt to what they hear, so shared ones would make a test's result depend on the tests
    that ran before it. (Building a pair costs about 0.6 s, only in tests that hear.)"""
    engine = sys.modules.get("voicecoach.speech.pocketsphinx.engine")
    if engine is not None:
        engine._SHARED.clear()


@pytest.fixture(scope="session")
def pulse_room() -> Iterator[PulseRoom]:
    if reason := pulseaudio_missing():
        pytest.skip(reason)
    from voicecoach.audio.devices import refresh_devices

    room = PulseRoom()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in room.env.items():
            patch.setenv(name, value)
        room.start()
        refresh_devices()  # PortAudio listed the devices before the server existed
        try:
            yield room
        finally:
            room.stop()
    refresh_devices()


@pytest.fixture
def room(pulse_room: PulseRoom) -> Iterator[PulseRoom]:
    """The room with its speaker and microphone plugged in, also after a test unplugged them."""
    pulse_room.plug_all()
    yield pulse_room
    pulse_room.plug_all()


TEST_VOICE = "kal16"  # flite's: the benchmark measures accuracy on other voices


@pytest.fixture(scope="session")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A WAV of a phrase, as the person in the tests says it."""
    if shutil.which("flite") is None:
        pytest.skip("flite not installed (scripts/install --dev installs it)")
    folder = tmp_path_factory.mktemp("spoken")

    def wav(phrase: str) -> Path:
        path = folder / f"{phrase.replace(' ', '_')}.wav"
        if not path.exists():
            subprocess.run(
                ["flite", "-voice", TEST_VOICE, "-t", phrase, "-o", str(path)], check=True
            )
        return path

    return wav
