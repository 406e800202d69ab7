"""Hostile routine and config files (issue 28, items 2, 4, 5, 7, 8, 10's /etc/shadow, 11): each is
refused by the real CLI with one line on stderr, exit status 2, in bounded time; no traceback."""

import os
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from voicecoach.coach.commands import Command
from voicecoach.coach.events import PainReported, Say, SessionEnded
from voicecoach.routines import Library

from session_support import Run, mini_library

REPO = Path(__file__).resolve().parents[1]
ROUTINES = REPO / "routines"
SECRET = "s3cr3t-hash-of-root"
ROUTINE_HEAD = "id: {id}\nname: R\nsource: '001 x'\nlevel: beginner\nfallback: {fallback}\n"


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    expected: str  # a fragment of the one line on stderr
    config: str = ""  # VOICECOACH_CONFIG, relative to the case folder unless absolute
    library: str = "lib"  # VOICECOACH_ROUTINES, relative to the case folder


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def routine(
    name: str,
    dosage: str = "{sets: 2}",
    extra: str = "",
    fallback: str = "null",
    routine_id: str | None = None,
) -> str:
    head = ROUTINE_HEAD.format(id=routine_id or name, fallback=fallback)
    return f"{head}{extra}exercises:\n  - exercise: bridge\n    dosage: {dosage}\n"


BIG = "9" * 5000
HEX = "0x" + "f" * 5000
LAUGHS = "".join(
    f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9) if n else ', '.join(['lol'] * 9)}]\n"
    for n in range(9)
)
GENTLE = (ROUTINES / "gentle-stretches.yaml").read_text(encoding="utf-8")
GENTLE_TO_CORE = GENTLE.replace("\nfallback: null\n", "\nfallback: core-four\n")
assert GENTLE_TO_CORE != GENTLE

# name -> (files to write under the case folder: path -> text, the case)
CASES: dict[str, tuple[dict[str, str], Case]] = {
    # 8: hangs and unbounded reads
    "config-dev-zero": ({}, Case(("config",), "not a regular file", config="/dev/zero")),
    "config-fifo": ({"c.yaml": "<fifo>"}, Case(("config",), "not a regular file", config="c.yaml")),
    "config-to-dev-zero": (
        {"c.yaml": "<symlink /dev/zero>"},
        Case(("config",), "not a regular file", config="c.yaml"),
    ),
    "config-large": (
        {"c.yaml": "# " + "x" * 300_000 + "\n"},
        Case(("config",), "larger than 256 KB", config="c.yaml"),
    ),
    "routines-fifo": ({"lib/x.yaml": "<fifo>"}, Case(("routines",), "x.yaml: cannot read")),
    "routines-to-dev-zero": (
        {"lib/x.yaml": "<symlink /dev/zero>"},
        Case(("routines",), "x.yaml: cannot read the routine file (not a regular file)"),
    ),
    "routine-20000-entries": (
        {"lib/huge.yaml": routine("huge") + "  - exercise: bridge\n" * 20_000},
        Case(("routines",), "huge.yaml: the routine file is larger than 256 KB"),
    ),
    "routine-3000-entries": (
        {"lib/many.yaml": routine("many") + "  - {exercise: bridge}\n" * 3000},
        Case(("routines",), "exercises: list should have at most 100 items"),
    ),
    # 2: a billion laughs in a 1 KB config
    "config-billion-laughs": (
        {"c.yaml": LAUGHS.replace("l8:", "input_device:")},
        Case(("config",), "more than 10000 values", config="c.yaml"),
    ),
    # 7: huge integers and deep nesting
    "config-5000-digits": (
        {"c.yaml": f"rate: {BIG}\n"},
        Case(("config",), "c.yaml:1: number of 5000 characters", config="c.yaml"),
    ),
    "config-5000-hex-digits": (
        {"c.yaml": f"rate: {HEX}\n"},
        Case(("config",), "c.yaml:1: number of 5002 characters", config="c.yaml"),
    ),
    "config-900-levels": (
        {"c.yaml": f"input_device: {nested(900)}\n"},
        Case(("config",), "c.yaml:1: nested deeper than 50 levels", config="c.yaml"),
    ),
    "routine-5000-digits": (
        {"r.yaml": routine("r", f"{{sets: {BIG}}}")},
        Case(("validate", "r.yaml"), "r.yaml:8: number of 5000 characters"),
    ),
    "routine-5000-hex-digits": (
        {"r.yaml": routine("r", f"{{reps: {HEX}}}")},
        Case(("validate", "r.yaml"), "r.yaml:8: number of 5002 characters"),
    ),
    "routine-900-levels": (
        {"r.yaml": routine("r", extra=f"intro: {nested(900)}\n")},
        Case(("validate", "r.yaml"), "r.yaml:6: nested deeper than 50 levels"),
    ),
    # found by the fuzzing: PyYAML's constructors fail on values that do not fit their tag
    "config-bad-float-tag": (
        {"c.yaml": "volume: !!float ---\n"},
        Case(("config",), "c.yaml:1: this value cannot be read as float", config="c.yaml"),
    ),
    "routine-bad-bool-tag": (
        {"r.yaml": routine("r", "{sets: !!bool maybe}")},
        Case(("validate", "r.yaml"), "r.yaml:8: this value cannot be read as bool"),
    ),
    # 11: duplicate keys, loose counts, an id that is not the file name
    "routine-duplicate-key": (
        {"r.yaml": routine("r", "{sets: 1, sets: 20}")},
        Case(("validate", "r.yaml"), "r.yaml:8: duplicate key 'sets' (first on line 8)"),
    ),
    "config-duplicate-key": (
        {"c.yaml": "volume: 1\nrate: 120\nvolume: 0.5\n"},
        Case(("config",), "c.yaml:3: duplicate key 'volume' (first on line 1)", config="c.yaml"),
    ),
    "reps-yes": (
        {"r.yaml": routine("r", "{reps: yes}")},
        Case(("validate", "r.yaml"), "dosage.reps: input should be a valid integer (got True)"),
    ),
    "reps-string": (
        {"r.yaml": routine("r", '{reps: "10"}')},
        Case(("validate", "r.yaml"), "dosage.reps: input should be a valid integer (got '10')"),
    ),
    "id-not-file-name": (
        {"r.yaml": routine("r", routine_id="other")},
        Case(("validate", "r.yaml"), "r.yaml: id 'other' does not match the file name 'r'"),
    ),
    "exercise-id-not-file-name": (
        {"exercises/plank.yaml": "<copy exercises/bridge.yaml>"},
        Case(("validate", "exercises/plank.yaml"), "id 'bridge' does not match the file name"),
    ),
    # 4: a progression beyond the dosage limits
    "progression-beyond-limits": (
        {
            "r.yaml": routine(
                "r",
                "{sets: 2}\n    progression: {field: sets, start: 0, target: 1000, step: 1000}",
            )
        },
        Case(("validate", "r.yaml"), "r.yaml:9: exercises[0].progression: target (1000) is above"),
    ),
    # 5: circular fallbacks
    "circular-fallback": (  # an edited copy, checked before it replaces the library's
        {"edit/gentle-stretches.yaml": GENTLE_TO_CORE},
        Case(
            ("validate", "edit/gentle-stretches.yaml"),
            "gentle-stretches.yaml:8: fallback routines go round in a circle: "
            "gentle-stretches -> core-four -> gentle-stretches",
        ),
    ),
    "circular-fallback-in-library": (
        {
            "lib/a.yaml": routine("a", fallback="b"),
            "lib/b.yaml": routine("b", fallback="a"),
        },
        Case(("routines",), "a.yaml:5: fallback routines go round in a circle: a -> b -> a"),
    ),
}


def _write(case_dir: Path, name: str, text: str) -> None:
    path = case_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if text == "<fifo>":
        os.mkfifo(path)
    elif text.startswith("<symlink "):
        path.symlink_to(text.removeprefix("<symlink ").removesuffix(">"))
    elif text.startswith("<copy "):
        shutil.copy(ROUTINES / text.removeprefix("<copy ").removesuffix(">"), path)
    else:
        path.write_text(text, encoding="utf-8")


def voicecoach(case_dir: Path, case: Case) -> tuple[subprocess.CompletedProcess[str], float]:
    """`python -m voicecoach ARGS` in `case_dir`, and the CPU seconds it took.

    CPU time rather than wall time: the cases run side by side on shared cores; a hang is the
    60 s timeout.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICECOACH_")}
    env |= {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")])),
        "VOICECOACH_ROUTINES": str(case_dir / case.library),
        "VOICECOACH_CONFIG": str(case_dir / (case.config or "none.yaml")),
        "HOME": str(case_dir),
    }
    command = [sys.executable, "-m", "voicecoach", *case.args]
    out, err = case_dir / "stdout.txt", case_dir / "stderr.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env, cwd=case_dir)
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    _, status, usage = os.wait4(process.pid, 0)
    watchdog.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    done = subprocess.CompletedProcess(
        command, process.returncode, out.read_text(), err.read_text()
    )
    return done, usage.ru_utime + usage.ru_stime


@pytest.fixture(scope="module")
def results(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[subprocess.CompletedProcess[str], float]]:
    """Every case run through the CLI, side by side (each is its own process and folder)."""
    runs = {}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for name, (files, case) in CASES.items():
            case_dir = tmp_path_factory.mktemp(name)
            shutil.copytree(ROUTINES, case_dir / "lib")
            for file_name, text in files.items():
                _write(case_dir, file_name, text)
            runs[name] = pool.submit(voicecoach, case_dir, case)
        return {name: run.result() for name, run in runs.items()}


@pytest.mark.parametrize("name", CASES)
def test_hostile_file_is_one_line(
    name: str, results: dict[str, tuple[subprocess.CompletedProcess[str], float]]
) -> None:
    done, seconds = results[name]
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr[-2000:]
    assert lines[0].startswith("voicecoach: "), lines[0]
    assert CASES[name][1].expected in lines[0], lines[0]
    assert len(lines[0]) < 400, lines[0]
    assert seconds < 10, f"took {seconds:.1f} s of CPU"


def test_config_that_is_not_yaml_is_not_shown(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow"
    shadow.write_text(f"root:$y$j9T${SECRET}:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n")
    done, _ = voicecoach(tmp_path, Case(("config",), "", config=str(shadow)))
    assert done.returncode == 2
    assert (
        done.stderr == f"voicecoach: {shadow}:1: not a setting (settings are `name: value` lines)\n"
    )
    assert SECRET not in done.stderr


def test_a_mistyped_setting_is_still_named(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("volume: 1\nrat: 120\n")
    done, _ = voicecoach(tmp_path, Case(("config",), "", config=str(config)))
    assert done.returncode == 2
    assert done.stderr == f"voicecoach: {config}:2: rat: unknown setting (did you mean 'rate'?)\n"


def test_a_long_bad_value_is_cut_short(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"input_device: ['{'x' * 5000}', [1, [2, [3, [4]]]]]\n")
    done, _ = voicecoach(tmp_path, Case(("config",), "", config=str(config)))
    assert done.returncode == 2
    assert len(done.stderr) < 300 and "..." in done.stderr, done.stderr


def test_circular_fallbacks_never_loop_at_run_time() -> None:
    """Pain with fallbacks that go round (a library built in code, past the loader's check):
    each routine is offered once, then the session ends with the advice to see a doctor."""
    mini = mini_library()
    strong = mini.routines["strong"]
    gentle = mini.routines["gentle-stretches"].model_copy(update={"fallback": "strong"})
    circle = Library(mini.exercises, {"strong": strong, "gentle-stretches": gentle})
    assert strong.fallback == "gentle-stretches"
    run = Run(circle, "strong")
    for _ in range(4):
        run.until(lambda r: r.session.step.exercise_index is not None or r.session.finished)
        run.command(Command.PAIN)
    assert [e.routine for e in run.of(PainReported)] == ["strong", "gentle-stretches"]
    assert [e.reason for e in run.of(SessionEnded)] == ["pain"]
    assert any("doctor" in e.text for e in run.of(Say))
