"""Nothing leaves the device: libraries that would phone home are told not to before they load.

onnxruntime (Moonshine, Piper) starts Microsoft's 1DS telemetry when it is imported: it keeps an
event store in ~/.cache/Microsoft/DeveloperTools and, about ten seconds after the first model
loads, looks up mobile.events.data.microsoft.com. Its `disable_telemetry_events()` does not stop
that (measured with strace, onnxruntime 1.32.0); the environment variable, read at import, does.
"""

import os

QUIET_LIBRARIES = {"ORT_DISABLE_TELEMETRY": "1"}


def stay_offline() -> None:
    os.environ.update(QUIET_LIBRARIES)
