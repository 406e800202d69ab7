"""The shipped routine library: it loads, it is complete, its spoken text is safe for the
recogniser, and its numbers are the ones the five seed articles give."""

import re
from pathlib import Path

import pytest

from voicecoach.coach.commands import Command
from voicecoach.routines import Library, load_library
from voicecoach.routines.loader import load_model
from voicecoach.routines.schema import (
    Dosage,
    Equipment,
    Exercise,
    Level,
    Progression,
    Routine,
    RoutineEntry,
    Sides,
)
from voicecoach.speech.commands import all_phrases, normalize

ROOT = Path(__file__).resolve().parents[1] / "routines"
EXERCISE_FILES = sorted((ROOT / "exercises").glob("*.yaml"))
ROUTINE_FILES = sorted(ROOT.glob("*.yaml"))

# One routine per article at least (ids agreed with the rest of the project).
REQUIRED_ROUTINES = {
    "entry-level-home": "000",
    "first-hyperextensions": "000",
    "strengthen-and-relieve": "001",
    "five-strengthening": "002",
    "six-best": "003",
    "home-bodyweight": "004",
    "gym-lower-back": "004",
    "gentle-stretches": "001",
}
PAIN_RELIEF_SET = {"childs-pose", "knee-to-chest", "cat-cow", "piriformis-stretch", "draw-in"}

# Words the coach must never say, because people say them to the coach: every phrase of
# the command table, every command name (a bare name is accepted as a command too) and the
# list agreed for the voice interface.
AGREED = (
    "next", "done", "move on", "previous", "go back", "repeat", "say that again", "pause",
    "hold on", "wait", "resume", "continue", "skip", "too painful", "it hurts", "that hurts",
    "this hurts", "end workout", "stop workout", "help", "status", "slower", "slow down",
    "faster", "speed up", "start workout",
)  # fmt: skip
FORBIDDEN = sorted({normalize(p) for p in (*all_phrases(), *Command, *AGREED)})
GYM_EQUIPMENT = {Equipment.BARBELL, Equipment.DUMBBELL, Equipment.MACHINE, Equipment.BENCH}


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(ROOT)


def step(library: Library, routine_id: str, exercise_id: str) -> tuple[RoutineEntry, Dosage]:
    """The (single) entry of `exercise_id` in `routine_id` and its effective dosage."""
    matches = [
        (entry, dosage)
        for exercise, entry, dosage in library.steps(library.routines[routine_id])
        if exercise.id == exercise_id
    ]
    assert len(matches) == 1, f"{exercise_id} appears {len(matches)} times in {routine_id}"
    return matches[0]


def progression_of(library: Library, entry: RoutineEntry) -> Progression | None:
    """The routine entry's progression, else the exercise's own."""
    return entry.progression or library.exercises[entry.exercise].progression


def spoken_texts() -> list[tuple[str, str]]:
    """Every line the coach may speak, labelled by file and field."""
    texts = []
    for path in EXERCISE_FILES:
        exercise = load_model(path, Exercise)
        texts.append((f"{path.name} name", exercise.name))
        texts += [
            (f"{path.name} instructions[{i}]", t) for i, t in enumerate(exercise.instructions)
        ]
        texts += [(f"{path.name} cautions[{i}]", t) for i, t in enumerate(exercise.cautions)]
    for path in ROUTINE_FILES:
        routine = load_model(path, Routine)
        texts.append((f"{path.name} name", routine.name))
        texts.append((f"{path.name} description", routine.description))
        texts += [(f"{path.name} intro[{i}]", t) for i, t in enumerate(routine.intro)]
    return texts


# --- loading and completeness ---------------------------------------------------------------


def test_library_loads_with_every_file(library: Library) -> None:
    assert len(library.exercises) == len(EXERCISE_FILES) >= 30
    assert len(library.routines) == len(ROUTINE_FILES)
    assert set(REQUIRED_ROUTINES) <= set(library.routines)


@pytest.mark.parametrize("path", EXERCISE_FILES, ids=lambda p: p.stem)
def test_exercise_file_validates(path: Path) -> None:
    exercise = load_model(path, Exercise)
    assert exercise.id == path.stem


@pytest.mark.parametrize("path", ROUTINE_FILES, ids=lambda p: p.stem)
def test_routine_file_validates(library: Library, path: Path) -> None:
    routine = load_model(path, Routine)
    assert routine.id == path.stem
    library.check_routine(routine, path)


def test_every_exercise_is_in_some_routine(library: Library) -> None:
    used = {entry.exercise for r in library.routines.values() for entry in r.exercises}
    assert set(library.exercises) - used == set()


def test_no_exercise_twice_in_a_routine(library: Library) -> None:
    for routine in library.routines.values():
        ids = [entry.exercise for entry in routine.exercises]
        assert len(ids) == len(set(ids)), routine.id


@pytest.mark.parametrize("routine_id", sorted(REQUIRED_ROUTINES))
def test_required_routine_follows_its_article(library: Library, routine_id: str) -> None:
    routine = library.routines[routine_id]
    assert routine.source.startswith(REQUIRED_ROUTINES[routine_id])
    assert routine.description and 1 <= len(routine.intro) <= 2


def test_every_article_has_a_routine(library: Library) -> None:
    articles = {r.source[:3] for r in library.routines.values()}
    assert articles >= {"000", "001", "002", "003", "004"}


def test_sources_name_seed_articles(library: Library) -> None:
    labels = [s for e in library.exercises.values() for s in e.sources]
    labels += [r.source for r in library.routines.values()]
    for label in labels:
        assert re.fullmatch(r"00[0-4] [a-z0-9 -]+", label), label


def test_routines_use_exercises_from_their_article(library: Library) -> None:
    """A routine that follows one article only uses exercises that article describes."""
    for routine in library.routines.values():
        if routine.id == "gentle-stretches":  # a compilation: 001's stretches plus draw-in
            continue
        for exercise, _, _ in library.steps(routine):
            articles = {source[:3] for source in exercise.sources}
            assert routine.source[:3] in articles, (routine.id, exercise.id)


def test_gentle_stretches_is_the_pain_relief_set(library: Library) -> None:
    gentle = library.routines["gentle-stretches"]
    assert gentle.fallback is None
    assert {entry.exercise for entry in gentle.exercises} == PAIN_RELIEF_SET
    assert gentle.level == Level.BEGINNER
    for exercise, _, dosage in library.steps(gentle):
        assert exercise.level == Level.BEGINNER
        assert dosage.sets == 1 and dosage.reps <= 5 and dosage.hold_seconds <= 30


def test_other_routines_fall_back_to_gentle_stretches(library: Library) -> None:
    for routine in library.routines.values():
        if routine.id != "gentle-stretches":
            assert routine.fallback == "gentle-stretches", routine.id


def test_equipment_heavy_exercises_are_not_for_beginners(library: Library) -> None:
    for exercise in library.exercises.values():
        if set(exercise.equipment) & {Equipment.BARBELL, Equipment.DUMBBELL, Equipment.MACHINE}:
            assert exercise.level != Level.BEGINNER, exercise.id
    for routine in library.routines.values():
        equipment = {eq for e, _, _ in library.steps(routine) for eq in e.equipment}
        if equipment & GYM_EQUIPMENT:
            assert routine.level != Level.BEGINNER, routine.id
    assert library.routines["gym-lower-back"].level == Level.ADVANCED


# --- spoken text ----------------------------------------------------------------------------


@pytest.mark.parametrize(("where", "text"), spoken_texts(), ids=lambda v: v[:40])
def test_spoken_text_has_no_command_phrase(where: str, text: str) -> None:
    said = normalize(text)
    for phrase in FORBIDDEN:
        assert not re.search(rf"(?<![a-z']){re.escape(phrase)}(?![a-z'])", said), (
            f"{where}: {text!r} contains the command phrase {phrase!r}"
        )


def test_forbidden_list_catches_command_phrases() -> None:
    assert {"next", "hold on", "it hurts", "skip", "pain", "start"} <= set(FORBIDDEN)
    said = normalize("Hold on, then go back to the mat.")
    assert any(re.search(rf"(?<![a-z']){re.escape(p)}(?![a-z'])", said) for p in FORBIDDEN)
    said = normalize("Hold one position; nextly...")
    assert not any(re.search(rf"(?<![a-z']){re.escape(p)}(?![a-z'])", said) for p in FORBIDDEN)


@pytest.mark.parametrize("path", EXERCISE_FILES, ids=lambda p: p.stem)
def test_instructions_are_short_spoken_lines(path: Path) -> None:
    exercise = load_model(path, Exercise)
    assert 3 <= len(exercise.instructions) <= 7
    assert len(exercise.cautions) <= 2
    for line in [*exercise.instructions, *exercise.cautions]:
        assert len(line.split()) <= 20, line
        assert line[0].isupper() and line.endswith("."), line


def test_intros_are_short(library: Library) -> None:
    for routine in library.routines.values():
        for line in routine.intro:
            assert len(line.split()) <= 20, line


# --- dosage ---------------------------------------------------------------------------------


def test_switching_exercises_work_both_sides(library: Library) -> None:
    """An exercise whose instructions change sides is never dosed as one-sided."""
    for routine in library.routines.values():
        for exercise, _, dosage in library.steps(routine):
            spoken = " ".join(exercise.instructions).lower()
            if re.search(r"\bswitch\b|\bother (leg|side)\b", spoken):
                assert dosage.sides != Sides.NONE, (routine.id, exercise.id)


def test_progressions_start_from_the_dosage(library: Library) -> None:
    """A progression's start is the value the routine begins with."""
    for routine in library.routines.values():
        for _, entry, dosage in library.steps(routine):
            progression = progression_of(library, entry)
            if progression is not None:
                assert getattr(dosage, progression.field) == progression.start, (
                    routine.id,
                    entry.exercise,
                )


def test_holds_fit_their_kind(library: Library) -> None:
    for exercise in library.exercises.values():
        if exercise.kind in ("hold", "stretch"):
            assert exercise.dosage.hold_seconds > 0, exercise.id
        assert 1 <= exercise.dosage.tempo_seconds <= 6, exercise.id


# (routine, exercise, expected): a number must match exactly, a (low, high) pair is the
# article's range, "total" is sets x reps.
ARTICLE_DOSAGES = [
    # 000: partial curls 10 + 10, rotational reach 10 per side, superman 10, cat 10.
    ("entry-level-home", "partial-curls", {"sets": 2, "reps": 10}),
    ("entry-level-home", "lower-back-rotational-reach", {"reps": 10, "sides": Sides.ALTERNATE}),
    ("entry-level-home", "superman", {"total": 10}),
    ("entry-level-home", "cat-cow", {"total": 10}),
    ("first-hyperextensions", "hyperextension", {"sets": 1, "reps": 15}),
    # 001: child's pose 30-60 s, knee-to-chest and piriformis 15-30 s a leg, cat-cow 10-15.
    ("strengthen-and-relieve", "childs-pose", {"hold_seconds": (30, 60), "total": 1}),
    ("strengthen-and-relieve", "knee-to-chest", {"hold_seconds": (15, 30), "sides": Sides.EACH}),
    ("strengthen-and-relieve", "piriformis-stretch", {"hold_seconds": (15, 30), "sides": "each"}),
    ("strengthen-and-relieve", "cat-cow", {"reps": (10, 15)}),
    ("core-four", "plank", {"hold_seconds": 30}),
    # 002
    ("five-strengthening", "bridge",
     {"sets": 3, "reps": 15, "hold_seconds": (10, 15), "rest_seconds": 60}),
    ("five-strengthening", "draw-in", {"total": 5, "hold_seconds": 5}),
    ("five-strengthening", "lying-lateral-leg-lift",
     {"sets": 3, "reps": 10, "sides": Sides.EACH, "hold_seconds": 2}),
    ("five-strengthening", "cat-cow", {"total": (3, 5)}),
    ("five-strengthening", "partial-curls", {"sets": 3, "reps": 10, "hold_seconds": 5}),
    # 003
    ("six-best", "bird-dog", {"sets": 3, "reps": 10, "sides": Sides.ALTERNATE, "hold_seconds": 4}),
    ("six-best", "prone-opposite-arm-leg-lift", {"sets": (3, 4), "reps": 10, "sides": "alternate"}),
    ("six-best", "lying-leg-lift-hold", {"sets": 3, "sides": Sides.EACH, "hold_seconds": 30}),
    ("six-best", "bridge", {"total": 10, "hold_seconds": 10}),
    ("six-best", "hip-flex-lunge", {"reps": 10, "sides": Sides.EACH}),
    ("six-best", "lumbar-trunk-lift", {"sets": 4, "reps": 8}),
    ("six-best", "side-lying-oblique-raise", {"sets": 3, "reps": 10, "sides": Sides.EACH}),
    # 004 home
    ("home-bodyweight", "bird-dog", {"reps": 5, "sides": Sides.ALTERNATE, "hold_seconds": 15}),
    ("home-bodyweight", "plank", {"hold_seconds": 10}),
    ("home-bodyweight", "bridge", {"hold_seconds": 1}),
    ("home-bodyweight", "cat-cow", {"hold_seconds": 5}),
    ("home-bodyweight", "draw-in", {"total": 10, "hold_seconds": 10, "rest_seconds": 15}),
    ("home-bodyweight", "knee-to-chest", {"total": 5, "sides": Sides.ALTERNATE}),
    ("home-bodyweight", "double-knee-to-chest", {"total": 10}),
    ("home-bodyweight", "side-plank-leg-raise",
     {"sets": 3, "reps": 10, "sides": Sides.EACH, "hold_seconds": 2}),
    ("home-bodyweight", "crunches", {"reps": (10, 15)}),
    ("home-bodyweight", "seated-leg-torso-stretch",
     {"hold_seconds": 30, "rest_seconds": 30, "sides": Sides.EACH, "total": (2, 3)}),
    ("home-bodyweight", "superman", {"sets": 4, "reps": 1, "hold_seconds": 30}),
    ("home-bodyweight", "kneeling-back-stretch", {"total": 10, "hold_seconds": 5}),
    # 004 gym
    ("gym-lower-back", "hyperextension", {"reps": 10}),
    ("gym-lower-back", "reverse-hyperextension", {"hold_seconds": 1}),
    ("gym-lower-back", "romanian-deadlift", {"reps": (15, 100)}),
    ("gym-lower-back", "single-leg-romanian-deadlift", {"sides": Sides.EACH}),
    # gentle-stretches takes its numbers from 001 and 002.
    ("gentle-stretches", "childs-pose", {"hold_seconds": (30, 60)}),
    ("gentle-stretches", "knee-to-chest", {"hold_seconds": (15, 30), "sides": Sides.EACH}),
    ("gentle-stretches", "piriformis-stretch", {"hold_seconds": (15, 30), "sides": Sides.EACH}),
    ("gentle-stretches", "cat-cow", {"total": (3, 5)}),
    ("gentle-stretches", "draw-in", {"total": 5, "hold_seconds": 5}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("routine_id", "exercise_id", "expected"),
    ARTICLE_DOSAGES,
    ids=[f"{r}:{e}" for r, e, _ in ARTICLE_DOSAGES],
)
def test_dosage_matches_article(
    library: Library, routine_id: str, exercise_id: str, expected: dict
) -> None:
    _, dosage = step(library, routine_id, exercise_id)
    for field, want in expected.items():
        got = dosage.sets * dosage.reps if field == "total" else getattr(dosage, field)
        if isinstance(want, tuple):
            assert want[0] <= got <= want[1], f"{field}: {got} outside {want}"
        else:
            assert got == want, f"{field}: {got} != {want}"


def test_dosage_sample_covers_every_article_routine() -> None:
    assert {r for r, _, _ in ARTICLE_DOSAGES} >= set(REQUIRED_ROUTINES) - {"first-hyperextensions"}
    assert len(ARTICLE_DOSAGES) >= 8


@pytest.mark.parametrize(
    ("routine_id", "exercise_id", "expected"),
    [
        # 000: one set of 15 the first time, then up to three sets.
        ("first-hyperextensions", "hyperextension", ("sets", 1, 3)),
        # 004: sets of 10, 20 and up to 30 repetitions.
        ("gym-lower-back", "hyperextension", ("reps", 10, 30)),
        # 004: 10 seconds, gradually 30 to 60.
        ("home-bodyweight", "plank", ("hold_seconds", 10, 60)),
        # 004: hold the side plank for at least 60 seconds.
        ("home-bodyweight", "side-plank", ("hold_seconds", None, 60)),
    ],
)
def test_progression_matches_article(
    library: Library, routine_id: str, exercise_id: str, expected: tuple
) -> None:
    entry, dosage = step(library, routine_id, exercise_id)
    progression = progression_of(library, entry)
    assert progression is not None
    field, start, target = expected
    assert progression.field == field
    assert progression.target == target
    if start is not None:
        assert progression.start == start
    assert getattr(dosage, field) == progression.start


def test_article_numbers_stay_in_the_routine_not_the_exercise(library: Library) -> None:
    """The same movement keeps different numbers in different articles' routines."""
    _, draw_in_002 = step(library, "five-strengthening", "draw-in")
    _, draw_in_004 = step(library, "home-bodyweight", "draw-in")
    assert (draw_in_002.hold_seconds, draw_in_004.hold_seconds) == (5, 10)
    _, bridge_002 = step(library, "five-strengthening", "bridge")
    _, bridge_003 = step(library, "six-best", "bridge")
    assert (bridge_002.reps, bridge_003.reps) == (15, 10)
