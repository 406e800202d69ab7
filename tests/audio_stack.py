"""A private PulseAudio server that stands in for the room: a speaker sink and a microphone.

Everything played into the sink `room` is heard by the source `mic` (a remap of room.monitor),
so coach speech and recorded user commands meet as they would in the air. sounddevice reaches
them through ALSA's pulse plugin: its `default`/`pulse` device follows PULSE_SINK/PULSE_SOURCE.
"""

import contextlib
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

RUNTIME_PREFIX = "voicecoach-pulse-"
SINK, MIC = "room", "mic"
RECORD_RATE = 16_000


def pulseaudio_missing() -> str | None:
    """Why the stack cannot run here, or None."""
    for tool in ("pulseaudio", "pactl", "pacmd", "pacat", "paplay", "parecord"):
        if shutil.which(tool) is None:
            return f"{tool} not installed (apt-get install pulseaudio pulseaudio-utils)"
    return None


class PulseRoom:
    def __init__(self) -> None:
        kill_stale_servers()
        self.runtime = Path(tempfile.mkdtemp(prefix=f"{RUNTIME_PREFIX}{os.getpid()}-"))
        socket = self.runtime / "pulse" / "native"
        self.env = {
            "XDG_RUNTIME_DIR": str(self.runtime),
            "PULSE_RUNTIME_PATH": str(self.runtime / "pulse"),
            "PULSE_SERVER": f"unix:{socket}",
            "PULSE_SINK": SINK,
            "PULSE_SOURCE": MIC,
        }
        self._modules: dict[str, str] = {}
        self._keeper: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._run(
            "pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n", "--use-pid-file=yes",
            "--load=module-native-protocol-unix auth-anonymous=1",
            "--load=module-cli-protocol-unix",  # for pacmd: pactl cannot kill streams
            f"--log-target=file:{self.runtime / 'pulse.log'}",
        )  # fmt: skip
        self.plug_speaker()
        self.plug_mic()
        self._warm_up()

    def stop(self) -> None:
        self._stop_keeper()
        pid = self.daemon_pid()
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            _wait_gone(pid)
        shutil.rmtree(self.runtime, ignore_errors=True)

    def daemon_pid(self) -> int | None:
        return _read_pid(self.runtime)

    # Devices: unplugging unloads the module, plugging loads it again under the same name.
    def plug_speaker(self) -> None:
        self._load(SINK, "module-null-sink", f"sink_name={SINK}", "rate=44100")
        # A null sink with no low-latency client renders in 2 s blocks, so a new stream would
        # be heard (and a recording would start) up to 2 s late. A client that plays silence at
        # 10 ms latency keeps it running like a sound card.
        self._keeper = subprocess.Popen(
            ["pacat", "--playback", f"--device={SINK}", "--raw", "--latency-msec=10", "/dev/zero"],
            env=self._env(), stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def plug_mic(self) -> None:
        self._load(MIC, "module-remap-source", f"master={SINK}.monitor", f"source_name={MIC}")

    def unplug_speaker(self) -> None:
        self.unplug_mic()  # the microphone hears the room through the sink's monitor
        self._stop_keeper()
        self._kill_streams("sink", SINK)
        self._unload(SINK)

    def unplug_mic(self) -> None:
        # PulseAudio would move the recording streams to room.monitor (same sound): kill them,
        # as a pulled USB microphone would.
        self._kill_streams("source", MIC)
        self._unload(MIC)

    def plug_all(self) -> None:
        """Back to the start: speaker and microphone both present."""
        if SINK not in self._modules:
            self.plug_speaker()
        if MIC not in self._modules:
            self.plug_mic()
            self._warm_up()

    def _stop_keeper(self) -> None:
        if self._keeper is not None:
            self._keeper.terminate()
            self._keeper.wait(timeout=5)
            self._keeper = None

    def play(self, wav: Path, wait: bool = True) -> subprocess.Popen[bytes]:
        """Play a WAV file into the room."""
        player = subprocess.Popen(
            ["paplay", f"--device={SINK}", str(wav)], env=self._env(), stderr=subprocess.PIPE
        )
        if wait:
            player.wait(timeout=60)
        return player

    @contextlib.contextmanager
    def recording(self, source: str = f"{SINK}.monitor") -> Iterator[list[np.ndarray]]:
        """Record the room while the block runs; the list gets the int16 16 kHz samples after."""
        result: list[np.ndarray] = []
        with tempfile.TemporaryFile() as raw:
            recorder = subprocess.Popen(
                ["parecord", f"--device={source}", "--raw", "--format=s16le", "--channels=1",
                 f"--rate={RECORD_RATE}", "--latency-msec=10"],
                stdout=raw, env=self._env(),
            )  # fmt: skip
            time.sleep(0.2)  # until the recorder is connected
            try:
                yield result
                time.sleep(0.2)  # the tail still in the server's buffers
            finally:
                recorder.terminate()
                recorder.wait(timeout=5)
            raw.seek(0)
            result.append(np.frombuffer(raw.read(), np.int16))

    def _warm_up(self) -> None:
        # The keeper's low latency takes effect at the end of the sink's current 2 s block:
        # wait for that here, once, rather than in the first test that listens.
        recorder = subprocess.Popen(
            ["parecord", f"--device={MIC}", "--raw", "--latency-msec=10"],
            stdout=subprocess.PIPE, env=self._env(),
        )  # fmt: skip
        try:
            select.select([recorder.stdout], [], [], 5.0)
        finally:
            recorder.terminate()
            recorder.wait(timeout=5)
            assert recorder.stdout is not None
            recorder.stdout.close()

    def pactl(self, *args: str) -> str:
        return self._run("pactl", *args)

    def _kill_streams(self, kind: str, name: str) -> None:
        """Kill the streams playing to (sink) or recording from (source) the device `name`."""
        devices = self.pactl("list", "short", f"{kind}s").splitlines()
        index = next((line.split()[0] for line in devices if line.split()[1:2] == [name]), None)
        streams = "sink-inputs" if kind == "sink" else "source-outputs"
        for line in self.pactl("list", "short", streams).splitlines():
            if line.split()[1:2] == [index]:
                self._run("pacmd", f"kill-{streams.removesuffix('s')}", line.split()[0])

    def _load(self, name: str, module: str, *args: str) -> None:
        self._modules[name] = self.pactl("load-module", module, *args).strip()

    def _unload(self, name: str) -> None:
        if name in self._modules:
            self.pactl("unload-module", self._modules.pop(name))

    def _env(self) -> dict[str, str]:
        return os.environ | self.env | {"HOME": str(self.runtime)}  # keep ~/.config/pulse out

    def _run(self, *command: str) -> str:
        done = subprocess.run(command, env=self._env(), capture_output=True, text=True, timeout=20)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")
        return done.stdout


def kill_stale_servers() -> None:
    """Stop servers left by test runs that died (their pytest process is gone)."""
    for runtime in Path(tempfile.gettempdir()).glob(f"{RUNTIME_PREFIX}*"):
        owner = runtime.name.removeprefix(RUNTIME_PREFIX).split("-")[0]
        if owner.isdigit() and _alive(int(owner)) and int(owner) != os.getpid():
            continue
        pid = _read_pid(runtime)
        if pid and "pulseaudio" in _cmdline(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _wait_gone(pid)
        shutil.rmtree(runtime, ignore_errors=True)


def _read_pid(runtime: Path) -> int | None:
    try:
        return int((runtime / "pulse" / "pid").read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _wait_gone(pid: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while _alive(pid) and "pulseaudio" in _cmdline(pid) and time.monotonic() < deadline:
        time.sleep(0.02)


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll `condition` every 50 ms until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.asarray(samples, np.float64) ** 2))) if len(samples) else 0.0


def power_db(samples: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.asarray(samples, np.float64) ** 2) + 1e-9))


def loud_span(samples: np.ndarray, rate: int, threshold: float = 300.0) -> float:
    """Seconds from the first to the last sample louder than threshold (0 if none)."""
    loud = np.flatnonzero(np.abs(np.asarray(samples, np.int32)) > threshold)
    return (loud[-1] - loud[0]) / rate if len(loud) else 0.0
