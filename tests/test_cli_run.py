"""`voicecoach run --text`: typed commands in, what the coach says (or JSON events) out."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def voicecoach(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    environment = os.environ | {"PYTHONPATH": str(ROOT / "src")} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "voicecoach", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )


def events(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


@pytest.fixture
def data_dir(tmp_path):
    return {"VOICECOACH_DATA_DIR": str(tmp_path)}


def test_too_painful_switches_to_gentle_stretches(data_dir):
    done = voicecoach(
        "run",
        "five-strengthening",
        "--text",
        "--json",
        "--speed",
        "1000",
        stdin="too painful\n",
        env=data_dir,
    )
    assert done.returncode == 0, done.stderr
    out = events(done.stdout)
    routines = [(e["routine"], e["reason"]) for e in out if e["type"] == "routine"]
    assert routines == [("five-strengthening", "start"), ("gentle-stretches", "pain")]
    assert [e["reason"] for e in out if e["type"] == "end"] == ["completed"]
    assert any(e["type"] == "pain" for e in out)


def test_second_too_painful_ends_with_doctor_advice(data_dir):
    done = voicecoach(
        "run",
        "six-best",
        "--text",
        "--json",
        "--speed",
        "1000",
        stdin="too painful\n@60 too painful\n",
        env=data_dir,
    )
    assert done.returncode == 0, done.stderr
    out = events(done.stdout)
    assert [e["reason"] for e in out if e["type"] == "end"] == ["pain"]
    assert any("doctor" in e["text"] for e in out if e["type"] == "say")
    assert [e["routine"] for e in out if e["type"] == "pain"] == ["six-best", "gentle-stretches"]


def test_text_mode_prints_the_coach_and_rejects_unknown_phrases(data_dir):
    done = voicecoach(
        "run",
        "gentle-stretches",
        "--text",
        "--speed",
        "1000",
        stdin="banana\n@40 end workout\n",
        env=data_dir,
    )
    assert done.returncode == 0
    assert done.stderr == "voicecoach: not a command: 'banana' (try 'help')\n"
    assert "] Gentle stretches." in done.stdout
    assert "We stop here." in done.stdout


def test_timed_commands_apply_at_their_session_time(data_dir):
    done = voicecoach(
        "run",
        "gentle-stretches",
        "--text",
        "--json",
        "--speed",
        "1000",
        stdin="@30 pause\n@90 resume\n@100 end workout\n",
        env=data_dir,
    )
    assert (done.returncode, done.stderr) == (0, "")
    out = events(done.stdout)
    heard = [(e["t"], e["command"]) for e in out if e["type"] == "command"]
    assert [c for _, c in heard] == ["pause", "resume", "end"]
    assert [round(t) for t, _ in heard] == [30, 90, 100]
    assert [e["reason"] for e in out if e["type"] == "end"] == ["ended"]


def test_paused_when_input_ends_finishes_the_session(data_dir):
    done = voicecoach(
        "run",
        "gentle-stretches",
        "--text",
        "--json",
        "--speed",
        "1000",
        stdin="pause\n",
        env=data_dir,
    )
    assert done.returncode == 0
    assert [e["reason"] for e in events(done.stdout) if e["type"] == "end"] == ["ended"]


def test_unknown_routine_is_one_line_and_exit_2(data_dir):
    done = voicecoach("run", "no-such-routine", "--text", env=data_dir)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "no such routine" in done.stderr


def test_routines_show_and_list(data_dir):
    listing = voicecoach("routines", "--json", env=data_dir)
    assert listing.returncode == 0, listing.stderr
    ids = [json.loads(line)["id"] for line in listing.stdout.splitlines()]
    assert "gentle-stretches" in ids and "five-strengthening" in ids
    shown = voicecoach("show", "five-strengthening", env=data_dir)
    assert shown.returncode == 0, shown.stderr
    assert "Bridge: 3 x 15, hold" in shown.stdout
