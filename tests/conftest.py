"""Shared fixtures. `room`: a private PulseAudio server with a speaker and a microphone."""

from collections.abc import Iterator

import pytest

from audio_stack import PulseRoom, pulseaudio_missing


@pytest.fixture(scope="session")
def pulse_room() -> Iterator[PulseRoom]:
    if reason := pulseaudio_missing():
        pytest.skip(reason)
    from voicecoach.speech.devices import refresh_devices

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
