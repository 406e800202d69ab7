"""Broken routine and exercise files: `voicecoach validate` rejects each with one line on
stderr naming the file, the line where known, and the problem; exit status 2; no traceback."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from voicecoach.errors import UserError
from voicecoach.routines import load_library

REPO = Path(__file__).resolve().parents[1]
MALFORMED = Path(__file__).resolve().parent / "malformed"
ROUTINES = REPO / "routines"

# file (relative to tests/malformed) -> (line the message names or None, expected fragment)
CASES: dict[str, tuple[int | None, str]] = {
    "unknown-field.yaml": (5, "difficulty: unknown field"),
    "unknown-exercise.yaml": (7, "unknown exercise 'flying-kick'"),
    "negative-reps.yaml": (
        8,
        "exercises[0].dosage.reps: input should be greater than or equal to 1",
    ),
    "bad-type-sets.yaml": (7, "exercises[0].dosage.sets: input should be a valid integer"),
    "invalid-yaml.yaml": (6, "invalid YAML: expected ',' or ']'"),
    "tab-indent.yaml": (6, "invalid YAML: found character '\\t'"),
    "empty.yaml": (None, "expected a mapping of fields, found an empty file"),
    "missing-name.yaml": (None, "name: required field is missing"),
    "unknown-level.yaml": (4, "level: input should be 'beginner', 'intermediate' or 'advanced'"),
    "top-level-list.yaml": (None, "expected a mapping of fields, found a list"),
    "unknown-fallback.yaml": (5, "unknown fallback routine 'nap-time'"),
    "unknown-warm-up.yaml": (5, "warm_up: unknown routine 'jumping-jacks'"),
    "warm-up-of-a-warm-up.yaml": (5, "cool_down: 'core-four' has a warm-up or cool-down of its"),
    "zero-sets.yaml": (9, "exercises[1].dosage.sets: input should be greater than or equal to 1"),
    "unknown-sides.yaml": (7, "exercises[0].dosage.sides: input should be 'none', 'each' or"),
    "bad-id.yaml": (1, "id: must be lower-case words joined by hyphens"),
    "backwards-progression.yaml": (7, "start (60.0) is above target (10.0)"),
    "no-exercises.yaml": (5, "exercises: list should have at least 1 item"),
    "not-utf8.yaml": (None, "not UTF-8 text"),
    "hold-too-long.yaml": (8, "hold_seconds: input should be less than or equal to 600"),
    "intro-not-list.yaml": (5, "intro: input should be a valid list"),
    "exercise-as-mapping.yaml": (6, "exercises[0].exercise: input should be a valid string"),
    # Under an `exercises/` folder: checked as an exercise.
    "exercises/no-instructions.yaml": (7, "instructions: list should have at least 1 item"),
    "exercises/unknown-equipment.yaml": (4, "equipment[1]: input should be 'none', 'mat'"),
    "exercises/blank-instruction.yaml": (9, "instructions[1]: string should have at least 1"),
    "exercises/missing-dosage.yaml": (None, "dosage: required field is missing"),
}


def validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")])
        ),
        "VOICECOACH_ROUTINES": str(ROUTINES),
    }
    return subprocess.run(
        [sys.executable, "-m", "voicecoach", "validate", *map(str, paths)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )


def test_every_malformed_file_has_a_case() -> None:
    files = {p.relative_to(MALFORMED).as_posix() for p in MALFORMED.rglob("*.yaml")}
    assert files == set(CASES)
    assert len(CASES) >= 10


@pytest.fixture(scope="module")
def results() -> dict[str, subprocess.CompletedProcess[str]]:
    """`voicecoach validate FILE` for every malformed file, run side by side (each is a process)."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        runs = {name: pool.submit(validate, MALFORMED / name) for name in CASES}
        return {name: run.result() for name, run in runs.items()}


@pytest.mark.parametrize(("name", "case"), sorted(CASES.items()), ids=sorted(CASES))
def test_malformed_file_is_one_clear_line(
    results: dict[str, subprocess.CompletedProcess[str]], name: str, case: tuple[int | None, str]
) -> None:
    line, fragment = case
    path = MALFORMED / name
    result = results[name]
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    message = lines[0]
    where = f"{path}:{line}: " if line else f"{path}: "
    assert message.startswith(f"voicecoach: {where}"), message
    assert fragment in message, message


def test_library_files_validate() -> None:
    paths = sorted(ROUTINES.glob("*.yaml")) + sorted((ROUTINES / "exercises").glob("*.yaml"))
    result = validate(*paths)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for path in paths:
        assert str(path) in result.stdout


def test_first_bad_file_stops_validation() -> None:
    good = ROUTINES / "five-strengthening.yaml"
    result = validate(good, MALFORMED / "zero-sets.yaml")
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert "zero-sets.yaml:9:" in result.stderr


def test_missing_file_is_one_line() -> None:
    path = MALFORMED / "no-such-file.yaml"
    result = validate(path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"voicecoach: {path}: "), result.stderr


# Problems only a whole library can have: checked through the loader.


def _library_with(tmp_path: Path, exercise_text: str, routine_text: str, name: str) -> Path:
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "bridge.yaml").write_text(
        (ROUTINES / "exercises" / "bridge.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    if exercise_text:
        (tmp_path / "exercises" / "extra.yaml").write_text(exercise_text, encoding="utf-8")
    (tmp_path / f"{name}.yaml").write_text(routine_text, encoding="utf-8")
    return tmp_path


ROUTINE = "id: {id}\nname: R\nsource: '002 x'\nlevel: beginner\nfallback: null\n"
ROUTINE += "exercises:\n  - exercise: bridge\n"


def test_id_must_match_file_name(tmp_path: Path) -> None:
    root = _library_with(tmp_path, "", ROUTINE.format(id="other-name"), "my-routine")
    with pytest.raises(UserError, match=r"my-routine\.yaml: id 'other-name' does not match"):
        load_library(root)


def test_exercise_id_defined_twice(tmp_path: Path) -> None:
    bridge = (ROUTINES / "exercises" / "bridge.yaml").read_text(encoding="utf-8")
    root = _library_with(tmp_path, bridge, ROUTINE.format(id="r"), "r")
    with pytest.raises(UserError, match=r"extra\.yaml: id 'bridge' is defined twice"):
        load_library(root)
