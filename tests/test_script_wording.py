"""What the coach says in every real routine: sides that agree, numbers that cannot be confused."""

import re

import pytest
from pydantic import ValidationError

from voicecoach.coach.commands import Command
from voicecoach.coach.events import State
from voicecoach.coach.script import BREATHE, StepKind, build_script, describe
from voicecoach.routines import Dosage, load_library
from voicecoach.routines.schema import Exercise, Sides, first_side
from voicecoach.speech.commands import all_phrases

LIBRARY = load_library()
BARE_NUMBER = re.compile(r"^\d+\.$")


@pytest.mark.parametrize("routine_id", sorted(LIBRARY.routines))
def test_rep_numbers_never_sound_like_a_countdown(routine_id):
    """Within a set, bare numbers are either all reps or all seconds counted down."""
    for step in build_script(LIBRARY, LIBRARY.routines[routine_id]):
        if step.kind != StepKind.SET:
            continue
        numbers = {cue.state for cue in step.cues if BARE_NUMBER.match(cue.text)}
        assert len(numbers) <= 1, [cue.text for cue in step.cues][:12]


def sided_exercises() -> list[tuple[str, str]]:
    return sorted(
        {
            (routine.id, exercise.id)
            for routine in LIBRARY.routines.values()
            for exercise, _, dosage in LIBRARY.steps(routine)
            if dosage.sides != Sides.NONE
        }
    )


@pytest.mark.parametrize(("routine_id", "exercise_id"), sided_exercises())
def test_sides_named_agree_with_the_instructions(routine_id, exercise_id):
    exercise = LIBRARY.exercises[exercise_id]
    assert exercise.side_names, f"{exercise_id}: one-sided work needs side_names"
    named_first = first_side(" ".join(exercise.instructions))
    if named_first:
        assert first_side(exercise.side_names[0]) == named_first
    # and the count says those names: the first set (or first rep) names the first side
    steps = build_script(LIBRARY, LIBRARY.routines[routine_id])
    index = [e.exercise for e in LIBRARY.routines[routine_id].exercises].index(exercise_id)
    first_set = next(s for s in steps if s.kind == StepKind.SET and s.exercise_index == index)
    said = " ".join(cue.text for cue in first_set.cues[:3]).lower()
    assert exercise.side_names[0].lower() in said, said
    assert first_set.side in (None, first_side(exercise.side_names[0]))


def test_the_first_alternating_rep_names_both_limbs():
    steps = build_script(LIBRARY, LIBRARY.routines["core-four"])
    counted = [c.text for s in steps if s.kind == StepKind.SET for c in s.cues]
    assert "Number 1, right arm and left leg." in counted
    assert not any(text.endswith(", left.") for text in counted)


def test_side_plank_starts_on_the_side_the_instructions_say():
    steps = build_script(LIBRARY, LIBRARY.routines["home-bodyweight"])
    index = [e.exercise for e in LIBRARY.routines["home-bodyweight"].exercises].index("side-plank")
    first = next(s for s in steps if s.kind == StepKind.SET and s.exercise_index == index)
    assert first.side == "right" and first.cues[0].text.startswith("Right elbow down.")


@pytest.mark.parametrize("routine_id", sorted(LIBRARY.routines))
def test_no_odd_lines(routine_id):
    texts = [c.text for s in build_script(LIBRARY, LIBRARY.routines[routine_id]) for c in s.cues]
    for text in texts:
        assert "for 0 seconds" not in text
        assert "sets of a" not in text
        assert not re.search(r"holding each for [^,.]* on each side", text), text


@pytest.mark.parametrize(
    ("dosage", "said"),
    [
        (Dosage(sets=10, reps=1, hold_seconds=10), "10 holds of 10 seconds."),
        (Dosage(sets=1, reps=1, hold_seconds=30), "A 30 second hold."),
        (
            Dosage(sets=3, reps=10, hold_seconds=2, sides=Sides.EACH),
            "3 sets of 10 reps on each side, holding each for 2 seconds.",
        ),
        (
            Dosage(sets=3, reps=1, hold_seconds=30, sides=Sides.EACH),
            "3 holds of 30 seconds per side.",
        ),
    ],
)
def test_dosage_is_said_plainly(dosage, said):
    assert describe(dosage) == said


def test_a_zero_second_rest_is_not_announced():
    steps = build_script(LIBRARY, LIBRARY.routines["gentle-stretches"])
    # child's pose, knee-to-chest and the piriformis stretch rest 0 s between sides
    assert not any(s.kind == StepKind.REST and "0 seconds" in s.cues[0].text for s in steps)


def test_side_names_must_name_each_side_once():
    base = LIBRARY.exercises["bird-dog"].model_dump()
    with pytest.raises(ValidationError, match="one starting with left, one with right"):
        Exercise.model_validate(base | {"side_names": ["left arm", "left leg"]})


@pytest.mark.parametrize(
    ("routine_id", "exercise_id"),
    [("gentle-stretches", "cat-cow"), ("home-bodyweight", "kneeling-back-stretch")],
)
def test_both_shapes_of_a_two_shape_exercise_are_cued_and_held(routine_id, exercise_id):
    routine = LIBRARY.routines[routine_id]
    index = [e.exercise for e in routine.exercises].index(exercise_id)
    dosage = LIBRARY.steps(routine)[index][2]
    held = [m.say for m in LIBRARY.exercises[exercise_id].moves if m.hold]
    assert len(held) == 2
    [first_set] = [
        s
        for s in build_script(LIBRARY, routine)
        if s.kind == StepKind.SET and s.exercise_index == index
    ][:1]
    texts = [cue.text for cue in first_set.cues]
    assert texts.count(held[0]) == texts.count(held[1]) == dosage.reps
    for shape in held:  # each shape lasts the hold, its countdown included
        start = texts.index(shape)
        following = first_set.cues[start:]
        ends = next(i for i, cue in enumerate(following[1:], 1) if not BARE_NUMBER.match(cue.text))
        assert sum(cue.gap for cue in following[:ends]) == pytest.approx(dosage.hold_seconds)


@pytest.mark.parametrize("routine_id", sorted(LIBRARY.routines))
def test_no_line_sounds_like_a_command(routine_id):
    """The microphone hears the coach too."""
    phrases = set(all_phrases()) | set(Command) | {"done", "wait"}
    for step in build_script(LIBRARY, LIBRARY.routines[routine_id]):
        for cue in step.cues:
            text = " ".join(re.sub(r"[^a-z' ]+", " ", cue.text.lower()).split())
            found = [p for p in phrases if re.search(rf"\b{re.escape(p)}\b", text)]
            assert not found, (found, cue.text)


def test_partial_curls_second_set_has_hands_behind_the_head():
    """000: ten with the hands on the chest, then ten with the hands behind the head."""
    routine = LIBRARY.routines["entry-level-home"]
    sets = [s for s in build_script(LIBRARY, routine) if s.kind == StepKind.SET]
    curls = [s for s in sets if s.exercise_index == 0]
    assert [s.set for s in curls] == [1, 2]
    assert "chest" in curls[0].cues[1].text
    assert "behind your head" in curls[1].cues[1].text


@pytest.mark.parametrize("routine_id", sorted(LIBRARY.routines))
def test_long_holds_remind_to_breathe_and_praise_varies(routine_id):
    steps = build_script(LIBRARY, LIBRARY.routines[routine_id])
    for step in steps:
        openings = [
            i
            for i, cue in enumerate(step.cues)
            if cue.state == State.HOLDING and (i == 0 or step.cues[i - 1].state != State.HOLDING)
        ]
        for start in openings:
            end = start
            while end < len(step.cues) and step.cues[end].state == State.HOLDING:
                end += 1
            hold = step.cues[start:end]
            if sum(cue.gap for cue in hold) >= 20:
                assert BREATHE in [cue.text for cue in hold]
    changes = [s.cues[0].text.split(" Rest")[0] for s in steps if s.kind == StepKind.CHANGE]
    if len(changes) > 1:
        assert changes[0] != changes[1]
