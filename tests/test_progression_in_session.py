"""Progression and the pain-safety lines in real sessions: `voicecoach run --text` in a
subprocess, one history file across runs (the README's "History and progression")."""

from pathlib import Path

from test_cli_run import events, voicecoach
from voicecoach.history.safety import FIRST_RUN, PAIN_ADVICE

ROUTINE = "first-hyperextensions"  # one set of 15 at first; a set more after 2 clean sessions
BUILD_UP = "The hyperextension went well last time, so today we build up to two sets."
EASE_OFF = "The hyperextension was painful last time, so today we ease off to one set."
KEEP_EASY = "The hyperextension was painful last time, so we keep it at an easy one set."
PAIN_DURING_THE_SET = "@80 too painful\n"  # in the first set, with or without a line before
# ... of the routine as written: its warm-up (test_warm_up) would move the first set later.


class Workouts:
    """Runs of one routine against one data folder; each returns what was said before the
    routine's name and the hyperextension sets done."""

    def __init__(self, data_dir: Path) -> None:
        self.env = {"VOICECOACH_DATA_DIR": str(data_dir), "VOICECOACH_WARM_UP": "false"}

    def run(self, *options: str, stdin: str = "", env: dict | None = None) -> tuple[list, int]:
        done = voicecoach(
            "run", ROUTINE, "--text", "--json", "--speed", "1000", *options,
            stdin=stdin, env=self.env | (env or {}),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        out = events(done.stdout)
        said = [e["text"] for e in out if e["type"] == "say"]
        opening = said[: said.index("First hyperextensions.")]
        sets = [e for e in out if e["type"] == "set_done" and e["exercise"] == "hyperextension"]
        return opening, len(sets)


def test_clean_sessions_step_up_and_progression_off_keeps_the_routine(tmp_path: Path) -> None:
    workouts = Workouts(tmp_path)
    assert workouts.run() == ([FIRST_RUN], 1)  # the first workout ever
    assert workouts.run() == ([], 1)
    assert workouts.run() == ([BUILD_UP], 2)  # said, and done
    # progression off: the routine as written, nothing said about it
    assert workouts.run("--no-progression") == ([], 1)
    assert workouts.run(env={"VOICECOACH_PROGRESSION": "false"}) == ([], 1)


def test_pain_steps_back_and_twice_in_a_row_brings_the_advice(tmp_path: Path) -> None:
    workouts = Workouts(tmp_path)
    for _ in range(2):
        workouts.run()
    assert workouts.run(stdin=PAIN_DURING_THE_SET) == ([BUILD_UP], 1)  # the first set, cut short
    assert workouts.run(stdin=PAIN_DURING_THE_SET) == ([EASE_OFF], 1)
    opening, sets = workouts.run()
    assert opening[0] == PAIN_ADVICE
    assert opening[1].startswith(KEEP_EASY) and len(opening) == 2
    assert sets == 1
