"""Audio in and out, in one import: devices, the microphone and the speech outputs."""

from voicecoach.speech.devices import (
    FIRST_BLOCK_SECONDS,
    STALL_SECONDS,
    Device,
    DeviceLost,
    check_device,
    list_devices,
    refresh_devices,
)
from voicecoach.speech.microphone import Microphone
from voicecoach.speech.outputs import (
    AudioOutput,
    Played,
    SilentOutput,
    SoundDeviceOutput,
    WavFileOutput,
)

__all__ = [
    "FIRST_BLOCK_SECONDS",
    "STALL_SECONDS",
    "AudioOutput",
    "Device",
    "DeviceLost",
    "Microphone",
    "Played",
    "SilentOutput",
    "SoundDeviceOutput",
    "WavFileOutput",
    "check_device",
    "list_devices",
    "refresh_devices",
]
