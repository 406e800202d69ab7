"""`voicecoach install-service` / `uninstall-service`: the systemd user unit for `serve`."""

import argparse
import getpass
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from voicecoach.errors import UserError

UNIT_NAME = "voicecoach.service"
TEMPLATE = Path(__file__).resolve().parents[3] / "deploy" / UNIT_NAME
ENABLE = (
    ("systemctl", "--user", "daemon-reload"),
    ("systemctl", "--user", "enable", "--now", "voicecoach"),
)
DISABLE = (("systemctl", "--user", "disable", "--now", "voicecoach"),)
RELOAD = (("systemctl", "--user", "daemon-reload"),)


def register(sub: argparse._SubParsersAction) -> None:
    install = sub.add_parser(
        "install-service",
        help="start `voicecoach serve` at boot (a systemd user service)",
        description=f"Write {UNIT_NAME} to ~/.config/systemd/user, then enable and start it.",
    )
    install.add_argument(
        "--dry-run",
        action="store_true",
        help="write the unit file, but only print the systemctl commands",
    )
    install.set_defaults(handler=run_install)
    uninstall = sub.add_parser("uninstall-service", help="stop the service and remove its unit")
    uninstall.set_defaults(handler=run_uninstall)


def unit_dir() -> Path:
    """Where systemd looks for the user's own units: $XDG_CONFIG_HOME/systemd/user."""
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "systemd" / "user"


def unit_text(python: str = sys.executable) -> str:
    """deploy/voicecoach.service with ExecStart running `python -m voicecoach serve`."""
    try:
        template = TEMPLATE.read_text(encoding="utf-8")
    except OSError as error:
        raise UserError(f"{TEMPLATE}: cannot read the unit template ({error.strerror})") from None
    exec_start = f"ExecStart={systemd_word(python)} -m voicecoach serve"
    return re.sub(r"^ExecStart=.*$", lambda _: exec_start, template, count=1, flags=re.M)


def systemd_word(text: str) -> str:
    """`text` as one word of a systemd command line (specifiers and variables escaped)."""
    escaped = text.replace("\\", "\\\\").replace("%", "%%").replace("$", "$$")
    if any(c.isspace() or c in "\"'" for c in text):
        return '"' + escaped.replace('"', '\\"') + '"'
    return escaped


def run_install(args: argparse.Namespace) -> int:
    path = unit_dir() / UNIT_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(unit_text(), encoding="utf-8")
    except OSError as error:
        raise UserError(f"{path}: cannot write the unit file ({error.strerror})") from None
    print(f"wrote {path}")
    run_commands(ENABLE, dry_run=args.dry_run)
    if not args.dry_run:
        print("enabled and started (logs: journalctl --user -u voicecoach -f)")
    print_linger_hint()
    return 0


def run_uninstall(args: argparse.Namespace) -> int:
    path = unit_dir() / UNIT_NAME
    if not path.exists():
        print(f"{path}: not installed, nothing to do")
        return 0
    run_commands(DISABLE, dry_run=False)
    path.unlink()
    print(f"removed {path}")
    run_commands(RELOAD, dry_run=False)
    return 0


def run_commands(commands: tuple[tuple[str, ...], ...], dry_run: bool) -> None:
    if dry_run:
        print("to enable and start it, run:")
        print("  " + " && ".join(" ".join(command) for command in commands))
        return
    if shutil.which("systemctl") is None:
        raise UserError("systemctl not found: is this a systemd system? (try --dry-run)")
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
            if "bus" in why:  # no user service manager: typically run through sudo or su
                why += " (run this as the user who will work out, not through sudo)"
            raise UserError(f"`{' '.join(command)}` failed: {why}")


def print_linger_hint() -> None:
    user = getpass.getuser()
    # With lingering the user's service manager starts at boot, not at the first login.
    if not Path("/var/lib/systemd/linger", user).exists():
        print("to start it at boot without logging in, run once:")
        print(f"  sudo loginctl enable-linger {user}")
