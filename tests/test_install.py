"""scripts/install on a system it cannot serve.

There is no 32-bit Python here, so a stand-in `python3` that reports 32-bit pointers plays one
(a fake, as the real thing cannot run on this machine).
"""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_install_stops_with_one_line_on_a_32_bit_system(tmp_path: Path) -> None:
    stub = tmp_path / "python3"
    stub.write_text("#!/bin/sh\necho 32\n")
    stub.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "install")], env=env, capture_output=True, text=True
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "scripts/install: VoiceCoach needs a 64-bit system (on a Raspberry Pi, the 64-bit "
        "Raspberry Pi OS); this Python is 32-bit"
    ]
