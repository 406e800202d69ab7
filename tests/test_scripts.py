"""`voicecoach script ROUTINE` and the reviewed scripts kept in docs/scripts/."""

import re

from bench.scripts import pages
from test_cli_run import voicecoach
from voicecoach.routines import load_library

LINE = re.compile(r"^\[\d\d:\d\d\] \S")


def test_script_prints_the_whole_spoken_timeline():
    done = voicecoach("script", "core-four")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert all(LINE.match(line) for line in lines), lines[:5]
    assert lines[0] == "[00:00] Core four."
    assert lines[-1].startswith("[") and "That is the whole workout." in lines[-1]
    assert any("Exercise 4 of 4" in line for line in lines)


def test_script_of_an_unknown_routine_is_a_user_error():
    done = voicecoach("script", "no-such-routine")
    assert done.returncode == 2
    assert done.stderr.startswith("voicecoach: no-such-routine: no such routine")


def test_every_routine_has_a_current_script_page():
    written = pages()
    assert {path.stem for path in written} == set(load_library().routines)
    stale = [path.name for path, text in written.items() if path.read_text() != text]
    assert not stale, f"regenerate with python -m bench.scripts: {stale}"
