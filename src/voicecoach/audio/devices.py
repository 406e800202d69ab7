"""Sound devices: listing, checking, refreshing, and opening streams on them.

Every PortAudio failure becomes a UserError naming the devices that exist: never a traceback.
"""

import contextlib
import threading
from collections.abc import Iterator
from typing import Any, Literal

import sounddevice as sd

from voicecoach.errors import UserError

Kind = Literal["input", "output"]
Device = str | int | None

# PortAudio enumerates devices once, at initialisation; re-initialising closes every open stream,
# so it is only done while none is open. The lock also keeps opens and refreshes apart.
_pa_lock = threading.RLock()
_open_streams = 0
STALL_SECONDS = 5.0  # a running stream this long without audio means its device is gone
FIRST_BLOCK_SECONDS = 5.0  # some devices (and PulseAudio's null sink) take ~2 s to start


class DeviceLost(UserError):
    """The device went away (unplugged, or its server stopped) while a stream was running."""


def refresh_devices() -> bool:
    """Re-read the device list (a device plugged in or a sound server started since import).

    Returns False, leaving the list as it was, when a stream is open.
    """
    with _pa_lock:
        if _open_streams:
            return False
        sd._terminate()
        sd._initialize()
        return True


def list_devices() -> str:
    """A table of the sound devices: number, input and output channels, rate, name (* default)."""
    refresh_devices()
    devices = sd.query_devices()
    if not devices:
        return "no sound devices (no sound card, or the sound server is not running)"
    rows = [f"{'#':>3}  {'in':>3} {'out':>3}  {'rate':>6}  name"]
    for index, info in enumerate(devices):
        default = "*" if index in _default_indices() else " "
        rows.append(
            f"{index:>3}{default} {info['max_input_channels']:>3} {info['max_output_channels']:>3}"
            f"  {info['default_samplerate']:>6.0f}  {info['name']}"
        )
    return "\n".join(rows)


def check_device(device: Device, kind: Kind) -> int:
    """The PortAudio index of `device` (a name, part of one, or an index; None is the default)."""
    refresh_devices()
    device = _as_index(device)
    try:
        info = sd.query_devices(device, kind)
    except (ValueError, sd.PortAudioError) as error:
        label = "default" if device is None else repr(device)
        raise UserError(f"no {kind} device {label} ({_why(error)}); {_names(kind)}") from None
    return int(info["index"])


def _as_index(device: Device) -> Device:
    return int(device) if isinstance(device, str) and device.strip().isdigit() else device


def _why(error: Exception) -> str:
    return str(error).splitlines()[0].rstrip(":")


def _names(kind: Kind) -> str:
    channels = f"max_{kind}_channels"
    found = [f"{i} {d['name']}" for i, d in enumerate(sd.query_devices()) if d[channels] > 0]
    return f"{kind} devices: " + (", ".join(found) if found else "none")


def _default_indices() -> set[int]:
    return {i for i in sd.default.device if isinstance(i, int) and i >= 0}


@contextlib.contextmanager
def open_stream(make: Any, kind: Kind, device: Device, **settings: Any) -> Iterator[Any]:
    """Open and start a sounddevice stream; PortAudio errors become UserError.

    `device` is looked up again at each open (numbers change when devices come and go); if
    the open fails, the device list is re-read once (a replugged device) and the open retried.
    """
    global _open_streams
    with _pa_lock:
        try:
            stream = _open(make, kind, device, settings)
        except UserError:
            if not refresh_devices():
                raise
            stream = _open(make, kind, device, settings)
        _open_streams += 1
    try:
        try:
            stream.start()
        except sd.PortAudioError as error:
            raise DeviceLost(f"cannot start the {kind} device ({_why(error)})") from None
        yield stream
    finally:
        with _pa_lock:
            with contextlib.suppress(sd.PortAudioError):
                stream.abort()
            with contextlib.suppress(sd.PortAudioError):
                stream.close()
            _open_streams -= 1


def _open(make: Any, kind: Kind, device: Device, settings: dict[str, Any]) -> Any:
    label = "default" if device is None else repr(device)
    try:
        label = repr(sd.query_devices(_as_index(device), kind)["name"])
        return make(device=_as_index(device), **settings)
    except (sd.PortAudioError, ValueError) as error:
        raise UserError(
            f"cannot open {kind} device {label} ({_why(error)}); {_names(kind)}"
        ) from None


def device_rate(device: int, kind: Kind, wanted: int) -> int:
    """`wanted` if the device takes it directly, else the device's own default rate."""
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    try:
        check(device=device, samplerate=wanted, channels=1, dtype="float32")
        return wanted
    except (sd.PortAudioError, ValueError):
        return int(sd.query_devices(device)["default_samplerate"])
