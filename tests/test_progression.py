"""Dosage progression from real history files, with small YAML libraries and the real one."""

import re
from pathlib import Path

import pytest

from voicecoach.errors import UserError
from voicecoach.history.progression import plan_progression
from voicecoach.history.safety import FIRST_RUN, PAIN_ADVICE
from voicecoach.history.store import HistoryStore
from voicecoach.history.wording import amount, number_words
from voicecoach.routines.loader import Library, default_routines_dir, load_library
from voicecoach.speech.commands import all_phrases

from test_history_support import record_session

EXERCISE = """\
id: {id}
name: {name}
kind: strength
equipment: [mat]
level: beginner
sources: ["test"]
instructions: [Move slowly.]
dosage: {{sets: 3, reps: 10, hold_seconds: 5}}
{progression}
"""

ROUTINE = """\
id: test-routine
name: Test routine
source: test
level: beginner
fallback: null
exercises:
  - exercise: bridge
    dosage: {sets: 2}
    progression: {field: sets, start: 1, target: 3, step: 1, sessions: 2}
  - exercise: plank
  - exercise: cat-cow
"""


@pytest.fixture
def library(tmp_path: Path) -> Library:
    root = tmp_path / "routines"
    (root / "exercises").mkdir(parents=True)
    exercises = {
        "bridge": ("Bridge", "progression: {field: reps, start: 5, target: 20, step: 5}"),
        "plank": ("Plank", "progression: {field: hold_seconds, start: 10, target: 60, step: 25}"),
        "cat-cow": ("Cat-cow stretch", ""),
    }
    for slug, (name, progression) in exercises.items():
        text = EXERCISE.format(id=slug, name=name, progression=progression)
        (root / "exercises" / f"{slug}.yaml").write_text(text)
    (root / "test-routine.yaml").write_text(ROUTINE)
    return load_library(root)


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(tmp_path / "history.sqlite3")


def dosage(library: Library, store: HistoryStore, routine_id: str = "test-routine") -> dict:
    routine, _ = plan_progression(library, library.routine(routine_id), store)
    return {ex.id: d for ex, _, d in library.steps(routine)}


def lines(library: Library, store: HistoryStore) -> list[str]:
    return plan_progression(library, library.routine("test-routine"), store)[1]


def clean(store: HistoryStore, times: int = 1) -> None:
    for _ in range(times):
        record_session(store, "test-routine", done=("bridge", "plank", "cat-cow"))


def test_no_history_starts_at_start(library: Library, store: HistoryStore) -> None:
    d = dosage(library, store)
    assert (d["bridge"].sets, d["plank"].hold_seconds, d["cat-cow"].sets) == (1, 10, 3)
    assert d["bridge"].reps == 10  # the routine entry's rule (sets) wins over the exercise's
    assert lines(library, store) == []


def test_steps_up_after_clean_sessions(library: Library, store: HistoryStore) -> None:
    clean(store)
    assert dosage(library, store)["bridge"].sets == 1  # the rule asks for two clean sessions
    assert dosage(library, store)["plank"].hold_seconds == 35  # the exercise's rule: one
    assert lines(library, store) == [
        "The plank went well last time, so today we build up to thirty-five-second holds."
    ]
    clean(store)
    assert dosage(library, store)["bridge"].sets == 2
    assert dosage(library, store)["plank"].hold_seconds == 60  # capped at the target
    said = lines(library, store)
    assert said[0] == "The bridge went well last time, so today we build up to two sets."
    assert "sixty-second holds" in said[1] and "full amount" in said[1]
    clean(store, times=4)
    assert dosage(library, store)["bridge"].sets == 3
    assert dosage(library, store)["plank"].hold_seconds == 60
    assert lines(library, store) == []  # nothing changed: nothing to say


def test_pain_steps_down_one_step(library: Library, store: HistoryStore) -> None:
    clean(store, times=4)
    assert dosage(library, store)["bridge"].sets == 3
    record_session(store, "test-routine", done=("plank",), pain=("bridge",), end="pain")
    d = dosage(library, store)
    assert d["bridge"].sets == 2 and d["plank"].hold_seconds == 60
    assert lines(library, store) == [
        "The bridge was painful last time, so today we ease off to two sets."
    ]
    clean(store)  # the count starts again after pain: one clean session is not enough
    assert dosage(library, store)["bridge"].sets == 2
    clean(store)
    assert dosage(library, store)["bridge"].sets == 3


def test_pain_never_goes_below_start(library: Library, store: HistoryStore) -> None:
    record_session(store, "test-routine", pain=("plank",), end="pain")
    record_session(store, "test-routine", pain=("plank",), end="pain")
    assert dosage(library, store)["plank"].hold_seconds == 10
    (line,) = lines(library, store)
    assert line.startswith("The plank was painful last time, so we keep it at an easy ten-second")


def test_skipped_sessions_do_not_count(library: Library, store: HistoryStore) -> None:
    for _ in range(3):
        record_session(store, "test-routine", skipped=("bridge", "plank"))
    assert dosage(library, store)["bridge"].sets == 1
    assert dosage(library, store)["plank"].hold_seconds == 10


def test_returns_a_new_routine(library: Library, store: HistoryStore) -> None:
    original = library.routine("test-routine")
    clean(store, times=2)
    planned, _ = plan_progression(library, original, store)
    assert original.exercises[0].dosage.sets == 2  # the library's routine is untouched
    assert planned.exercises[0].dosage.sets == 2 and planned.exercises[1].dosage.hold_seconds == 60
    assert planned.id == original.id and planned.exercises[2] == original.exercises[2]


def real_library() -> Library:
    try:
        return load_library(default_routines_dir())
    except UserError as error:
        pytest.skip(f"the routine library does not load yet: {error}")


@pytest.mark.parametrize(
    ("routine", "exercise", "field", "start", "later"),
    [
        ("first-hyperextensions", "hyperextension", "sets", 1, 3),
        ("home-bodyweight", "plank", "hold_seconds", 10, 60),
    ],
)
def test_real_library(
    store: HistoryStore, routine: str, exercise: str, field: str, start: float, later: float
) -> None:
    library = real_library()
    if routine not in library.routines:
        pytest.skip(f"no routine {routine} in the library yet")

    def value() -> float:
        planned, _ = plan_progression(library, library.routine(routine), store)
        steps = {ex.id: d for ex, _, d in library.steps(planned)}
        return getattr(steps[exercise], field)

    assert value() == start
    for _ in range(12):  # enough for both rules to reach their target
        record_session(store, routine, done=(exercise,))
    assert value() == later
    record_session(store, routine, pain=(exercise,), end="pain")
    assert start < value() < later


def test_numbers_are_said_in_words() -> None:
    assert [number_words(n) for n in (1, 3, 12, 20, 45, 60, 100)] == [
        "one", "three", "twelve", "twenty", "forty-five", "sixty", "one hundred",
    ]  # fmt: skip
    assert number_words(12.5) == "twelve and a half"
    assert number_words(10.0) == "ten"
    assert amount("sets", 1) == "one set" and amount("reps", 15) == "fifteen reps"
    assert amount("hold_seconds", 30.0) == "thirty-second holds"


def spoken_lines(library: Library, tmp_path: Path) -> list[str]:
    """Every kind of line progression and safety can say."""
    said = [FIRST_RUN, PAIN_ADVICE]
    store = HistoryStore(tmp_path / "lines.sqlite3")
    clean(store, times=2)
    said += lines(library, store)  # build up, full amount
    record_session(store, "test-routine", pain=("bridge",), end="pain")
    said += lines(library, store)  # ease off
    record_session(store, "test-routine", pain=("bridge",), end="pain")
    said += lines(library, store)  # keep it easy
    return said


def test_spoken_lines_avoid_command_words(library: Library, tmp_path: Path) -> None:
    """The microphone hears the coach too: no line may sound like a command."""
    words = {"next", "done", "pause", "continue", "skip", "repeat", "help", "status", "wait"}
    phrases = set(all_phrases()) | words | {"too painful", "it hurts"}
    said = spoken_lines(library, tmp_path)
    assert len(said) >= 5
    for line in said:
        text = " ".join(re.sub(r"[^a-z' ]+", " ", line.lower()).split())
        for phrase in phrases:
            assert not re.search(rf"\b{re.escape(phrase)}\b", text), (phrase, line)


def test_no_step_up_while_pain_keeps_coming_back(library: Library, store: HistoryStore) -> None:
    """Two painful sessions in a row (on other exercises): the coach advises the gentle routine,
    so it does not also announce a step up."""
    clean(store)
    record_session(store, "test-routine", pain=("cat-cow",), end="pain")
    assert dosage(library, store)["plank"].hold_seconds == 35
    record_session(store, "test-routine", done=("plank",), pain=("cat-cow",), end="pain")
    assert dosage(library, store)["plank"].hold_seconds == 35  # held: would be 60 otherwise
    assert lines(library, store) == []
    clean(store)  # a calm session ends the streak; progression picks up again
    assert dosage(library, store)["plank"].hold_seconds == 60
