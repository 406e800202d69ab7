"""The warm-up and cool-down around strengthening routines (not from the articles): said as an
offer, passed over with "skip", left out of the routine's own counts, and off by setting."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from voicecoach.coach.commands import Command
from voicecoach.coach.events import ExerciseDone, Say, SessionEnded, State
from voicecoach.history.store import HistoryStore
from voicecoach.routines import load_library
from voicecoach.settings import Settings
from voicecoach.workout import build_session

from session_support import Run

SRC = Path(__file__).resolve().parents[1] / "src"
WARM_UP, COOL_DOWN = (load_library().routines[part].intro[0] for part in ("warm-up", "cool-down"))


@pytest.fixture(scope="module")
def library():
    return load_library()


def said(run: Run) -> list[str]:
    return [e.text for e in run.of(Say)]


def test_a_strengthening_routine_is_framed_and_counts_only_its_own(library):
    run = Run(library, library.framed(library.routines["core-four"]))
    run.finish()
    lines = said(run)
    assert "4 exercises today, with a warm-up first and a cool-down after." in lines
    offer = lines.index(WARM_UP)
    assert lines[offer + 1] == "Warm-up: Pelvic tilt."
    assert lines.index("Warm-up: Knee-to-chest stretch.") < lines.index(
        "Exercise 1 of 4: Forearm plank."
    )
    last = lines.index("Exercise 4 of 4: Opposite arm and leg lift, lying face down.")
    assert lines.index(COOL_DOWN) > last
    assert lines[lines.index(COOL_DOWN) + 1] == "Cool-down: Child's pose."
    assert lines.count(WARM_UP) == lines.count(COOL_DOWN) == 1
    [ended] = run.of(SessionEnded)
    assert ended.reason == "completed" and "4 exercises" in ended.summary


def test_skip_passes_over_the_warm_up_and_it_is_not_counted_as_left_out(library):
    run = Run(library, library.framed(library.routines["core-four"]))
    for _ in range(2):  # the warm-up's two exercises
        run.until_state(State.COUNTING)
        run.command(Command.SKIP)
    run.until(lambda r: "Exercise 1 of 4: Forearm plank." in said(r))
    skipped = [e.exercise for e in run.of(ExerciseDone) if e.skipped]
    assert skipped == ["pelvic-tilt", "knee-to-chest"]
    run.finish()
    [ended] = run.of(SessionEnded)
    assert "left out" not in ended.summary, ended.summary


def test_the_gentle_routine_has_none_and_pain_in_the_warm_up_switches_to_it(library):
    assert library.framed(library.routines["gentle-stretches"]).exercises == (
        library.routines["gentle-stretches"].exercises
    )
    run = Run(library, library.framed(library.routines["five-strengthening"]))
    run.until_state(State.COUNTING)
    run.command(Command.PAIN)
    run.until(lambda r: "Gentle stretches." in said(r))
    assert WARM_UP not in said(run)[said(run).index("Gentle stretches.") :]


@pytest.mark.parametrize("on", [True, False])
def test_the_setting_decides(library, tmp_path: Path, on: bool):
    with HistoryStore(tmp_path / "history.sqlite3") as history:
        session = build_session(
            library, library.routines["core-four"], Settings(warm_up=on), history
        )
    names = [e.exercise for e in session.routine.exercises]
    framing = ["pelvic-tilt", "knee-to-chest"] if on else []
    assert names[: len(framing) + 1] == [*framing, "plank"]


def test_script_follows_the_setting(tmp_path: Path):
    def script(warm_up: str) -> str:
        env = os.environ | {"PYTHONPATH": str(SRC), "VOICECOACH_WARM_UP": warm_up,
                            "XDG_CONFIG_HOME": str(tmp_path)}  # fmt: skip
        done = subprocess.run([sys.executable, "-m", "voicecoach", "script", "core-four"],
                              capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert WARM_UP in script("true")
    assert WARM_UP not in script("false")
