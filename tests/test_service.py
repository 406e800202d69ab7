"""install-service / uninstall-service: the unit file written, and the systemctl calls made."""

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from voicecoach.cli.service import TEMPLATE, systemd_word, unit_text

SRC = Path(__file__).resolve().parents[1] / "src"
# `python -m voicecoach`, also before cli/__init__.py lists the config and service modules.
RUNNER = """
import voicecoach.cli as cli
from voicecoach.cli import config, service
cli.MODULES = (*(m for m in cli.MODULES if m not in (config, service)), config, service)
raise SystemExit(cli.main())
"""
# Records its arguments; fails like a session without a user service manager when told to.
FAKE_SYSTEMCTL = """#!/bin/sh
echo "$*" >> "$SYSTEMCTL_LOG"
if [ -n "$SYSTEMCTL_FAIL" ]; then echo "Failed to connect to bus: No medium found" >&2; exit 1; fi
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def voicecoach(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "XDG_CONFIG_HOME"}
    environ.update(HOME=str(home), **env)
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    command = [sys.executable, "-c", RUNNER, *args]
    return subprocess.run(command, env=environ, capture_output=True, text=True, timeout=60)


def fake_systemctl(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "systemctl").write_text(FAKE_SYSTEMCTL)
    (bin_dir / "systemctl").chmod(0o755)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "SYSTEMCTL_LOG": str(tmp_path / "calls")}


def parse_unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[method-assign]  # systemd keys are case-sensitive
    unit.read(path)
    return unit


def test_dry_run_writes_the_unit_under_home(home: Path) -> None:
    done = voicecoach(home, "install-service", "--dry-run")
    assert done.returncode == 0, done.stderr
    path = home / ".config" / "systemd" / "user" / "voicecoach.service"
    unit = parse_unit(path)
    assert unit["Service"]["ExecStart"] == f"{sys.executable} -m voicecoach serve"
    assert unit["Service"]["Restart"] == "on-failure"
    assert int(unit["Service"]["RestartSec"]) > 0
    assert unit["Service"]["Environment"] == "PYTHONUNBUFFERED=1"
    assert unit["Service"]["StandardOutput"] == "journal"
    assert "pulseaudio.service" in unit["Unit"]["After"].split()
    assert "pipewire.service" in unit["Unit"]["After"].split()
    assert unit["Install"]["WantedBy"] == "default.target"
    assert f"wrote {path}" in done.stdout
    enable = "systemctl --user daemon-reload && systemctl --user enable --now voicecoach"
    assert enable in done.stdout
    assert "loginctl enable-linger" in done.stdout


def test_dry_run_follows_xdg_config_home(home: Path, tmp_path: Path) -> None:
    done = voicecoach(home, "install-service", "--dry-run", XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "xdg" / "systemd" / "user" / "voicecoach.service").is_file()
    assert not (home / ".config").exists()


def test_unit_keeps_the_template_apart_from_exec_start() -> None:
    template = TEMPLATE.read_text().splitlines()
    written = unit_text("/opt/venv/bin/python").splitlines()
    changed = [(a, b) for a, b in zip(template, written, strict=True) if a != b]
    assert changed == [
        (
            "ExecStart=%h/voicecoach/.venv/bin/python -m voicecoach serve",
            "ExecStart=/opt/venv/bin/python -m voicecoach serve",
        )
    ]


def test_systemd_word_escapes_what_systemd_would_expand() -> None:
    assert systemd_word("/home/pi/.venv/bin/python") == "/home/pi/.venv/bin/python"
    assert systemd_word("/home/pi/my coach/python") == '"/home/pi/my coach/python"'
    assert systemd_word("/srv/100%/$HOME/python") == "/srv/100%%/$$HOME/python"


def test_unit_passes_systemd_analyze_verify(home: Path, tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    assert voicecoach(home, "install-service", "--dry-run").returncode == 0
    runtime = tmp_path / "runtime"  # --user needs a runtime directory, even offline
    runtime.mkdir(mode=0o700)
    path = home / ".config" / "systemd" / "user" / "voicecoach.service"
    done = subprocess.run(
        ["systemd-analyze", "--user", "verify", str(path)],
        env={**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "voicecoach.service" not in done.stdout + done.stderr  # no warning about our unit


def test_install_enables_and_starts(home: Path, tmp_path: Path) -> None:
    done = voicecoach(home, "install-service", **fake_systemctl(tmp_path))
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls == ["--user daemon-reload", "--user enable --now voicecoach"]
    assert "journalctl --user -u voicecoach" in done.stdout


def test_uninstall_stops_and_removes(home: Path, tmp_path: Path) -> None:
    env = fake_systemctl(tmp_path)
    assert voicecoach(home, "install-service", "--dry-run").returncode == 0
    done = voicecoach(home, "uninstall-service", **env)
    assert done.returncode == 0, done.stderr
    assert not (home / ".config" / "systemd" / "user" / "voicecoach.service").exists()
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls == ["--user disable --now voicecoach", "--user daemon-reload"]


def test_uninstall_without_a_unit_does_nothing(home: Path, tmp_path: Path) -> None:
    done = voicecoach(home, "uninstall-service", **fake_systemctl(tmp_path))
    assert done.returncode == 0
    assert "not installed" in done.stdout
    assert not (tmp_path / "calls").exists()


def test_systemctl_failure_is_one_line(home: Path, tmp_path: Path) -> None:
    done = voicecoach(home, "install-service", SYSTEMCTL_FAIL="1", **fake_systemctl(tmp_path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(
        "voicecoach: `systemctl --user daemon-reload` failed: Failed to connect to bus"
    )


def test_no_systemctl_is_one_line(home: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done = voicecoach(home, "install-service", PATH=str(tmp_path / "empty"))
    assert done.returncode == 2
    assert done.stderr == (
        "voicecoach: systemctl not found: is this a systemd system? (try --dry-run)\n"
    )
