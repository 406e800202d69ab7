"""Turns a routine into steps of timed lines: what to say, and how long until the next line."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum

from voicecoach.coach.events import State
from voicecoach.routines import Dosage, Exercise, Library, Routine
from voicecoach.routines.schema import Move, Sides

INSTRUCTION_PAUSE = 0.8  # silence after each instruction line, to picture it
# Said between exercises, in turn, so that praise does not sound canned.
ENCOURAGEMENT = ("Good work.", "Nice and steady.", "Good effort.", "Well worked.")
BREATHE = "Keep breathing steadily."  # in holds of 20 s or more: not from the articles
REMINDER_AFTER = 1.5  # seconds from "Halfway." to a form reminder
PLAIN_MOVES = (Move(say="Hold.", hold=True), Move(say="Down."))  # a rep with a hold, by default


class StepKind(StrEnum):
    INTRO = "intro"  # the routine's welcome
    EXERCISE = "exercise"  # an exercise's name, dosage and instructions
    SET = "set"  # one set (on one side) of reps or a hold
    REST = "rest"  # between sets
    CHANGE = "change"  # between exercises


@dataclass(frozen=True)
class Cue:
    text: str
    gap: float  # seconds from the start of this line to the start of the next, at least
    state: State
    rep: int = 0  # reps completed once this line has been said
    scaled: bool = False  # the gap follows the tempo (slower / faster)
    pause: float = 0.0  # silence after the line however long it takes to say


@dataclass(frozen=True)
class Step:
    kind: StepKind
    cues: tuple[Cue, ...]
    exercise_index: int | None = None
    set: int | None = None
    sets: int | None = None
    side: str | None = None

    @property
    def landmark(self) -> bool:
        """A place `previous` can go back to."""
        return self.kind in (StepKind.EXERCISE, StepKind.SET)


def build_script(library: Library, routine: Routine, opening: Iterable[str] = ()) -> list[Step]:
    """`opening`: lines said before the routine's welcome (safety notices, today's plan)."""
    plan = library.steps(routine)
    steps = [intro_step(routine, opening)]
    count, ordinal = sum(entry.part is None for _, entry, _ in plan), 0
    for index, (exercise, entry, dosage) in enumerate(plan):
        if index:
            steps.append(change_step(index, routine.rest_between_exercises, exercise))
        if entry.part is None:
            ordinal += 1
            title = f"Exercise {ordinal} of {count}: {exercise.name}."
        else:
            title = f"{entry.part.capitalize()}: {exercise.name}."
        steps.append(exercise_step(index, title, exercise, dosage, entry.before))
        previous_side = None
        for number, (set_number, side) in enumerate(set_order(exercise, dosage)):
            if number and dosage.rest_seconds:
                steps.append(rest_step(index, dosage.rest_seconds))
            switched = previous_side is not None and side != previous_side
            extra = entry.set_lines[set_number - 1 : set_number]
            steps.append(set_step(index, exercise, dosage, set_number, side, switched, extra))
            previous_side = side
    return steps


def set_order(exercise: Exercise, dosage: Dosage) -> Iterator[tuple[int, str | None]]:
    """(set number, side) in the order they are done: all sets on one side, then the other."""
    sides = [s for s, _ in exercise.sides_in_order()] if dosage.sides == Sides.EACH else [None]
    for side in sides:
        for number in range(1, dosage.sets + 1):
            yield number, side


FRAMING = {"warm-up": "a warm-up first", "cool-down": "a cool-down after"}


def intro_step(routine: Routine, opening: Iterable[str] = ()) -> Step:
    count = sum(entry.part is None for entry in routine.exercises)
    parts = [FRAMING[p] for p in FRAMING if any(e.part == p for e in routine.exercises)]
    framing = f", with {' and '.join(parts)}" if parts else ""
    lines = [
        *opening,
        f"{routine.name}.",
        *routine.intro,
        f"{count} exercise{'s' if count > 1 else ''} today{framing}.",
    ]
    return Step(StepKind.INTRO, _spoken(lines, State.SPEAKING))


def exercise_step(
    index: int, title: str, exercise: Exercise, dosage: Dosage, before: Iterable[str] = ()
) -> Step:
    lines = [
        *before,
        title,
        describe(dosage),
        *exercise.instructions,
        *exercise.cautions,
    ]
    return Step(StepKind.EXERCISE, _spoken(lines, State.SPEAKING), exercise_index=index)


def change_step(index: int, rest: float, upcoming: Exercise) -> Step:
    praise = ENCOURAGEMENT[(index - 1) % len(ENCOURAGEMENT)]
    cues = countdown(rest, f"{praise} Rest for {spoken_seconds(rest)}. Coming up: {upcoming.name}.")
    return Step(StepKind.CHANGE, cues, exercise_index=index)


def rest_step(index: int, rest: float) -> Step:
    return Step(StepKind.REST, countdown(rest, f"Rest for {spoken_seconds(rest)}."), index)


def set_step(
    index: int,
    exercise: Exercise,
    dosage: Dosage,
    number: int,
    side: str | None,
    switched: bool,
    extra: Iterable[str] = (),
) -> Step:
    """A set: announced (with `extra`, the routine's line for this set), then counted."""
    announce = f"Set {number} of {dosage.sets}." if dosage.sets > 1 else "Here we go."
    if side:
        name = dict(exercise.sides_in_order())[side]
        announce = f"{name[:1].upper()}{name[1:]}. {announce}"
        if switched:
            announce = f"Switch sides. {announce}"
    said = [Cue(line, 0.0, State.SPEAKING, pause=INSTRUCTION_PAUSE) for line in extra]
    cues = [Cue(announce, 1.0, State.SPEAKING), *said, *rep_cues(exercise, dosage)]
    return Step(StepKind.SET, tuple(cues), index, number, dosage.sets, side)


def rep_cues(exercise: Exercise, dosage: Dosage) -> list[Cue]:
    """The counted part of a set. With holds, a rep is said "Number 2." so that it never sounds
    like the hold's countdown ("3. 2. 1.")."""
    half = dosage.tempo_seconds / 2
    if dosage.reps == 1 and dosage.hold_seconds and dosage.sides != Sides.ALTERNATE:
        return [
            Cue("Get into position.", dosage.tempo_seconds, State.COUNTING, scaled=True),
            *hold_cues(dosage.hold_seconds, reminder=next(iter(exercise.cautions), None)),
            Cue("Relax.", half, State.COUNTING, rep=1, scaled=True),
        ]
    cues: list[Cue] = []
    alternate = dosage.sides == Sides.ALTERNATE
    sides = [name for _, name in exercise.sides_in_order()] if alternate else [None]
    for rep in range(1, dosage.reps + 1):
        for side in sides:
            label = f"Number {rep}" if dosage.hold_seconds else f"{rep}"
            label += f", {side}." if side else "."
            done = rep if side == sides[-1] else 0
            if dosage.hold_seconds:
                cues.append(Cue(label, half, State.COUNTING, scaled=True))
                moved = move_cues(exercise.moves or PLAIN_MOVES, dosage.hold_seconds, half)
                cues.extend([*moved[:-1], replace(moved[-1], rep=done)])
            else:
                cues.append(Cue(label, dosage.tempo_seconds, State.COUNTING, rep=done, scaled=True))
    return cues


def move_cues(moves: Iterable[Move], hold: float, half_tempo: float) -> list[Cue]:
    """A rep's movements: held ones for `hold` seconds, the others half a count."""
    cues: list[Cue] = []
    for move in moves:
        if move.hold:
            cues.extend(hold_cues(hold, move.say))
        else:
            cues.append(Cue(move.say, half_tempo, State.COUNTING, scaled=True))
    return cues


def estimate_speech_seconds(text: str) -> float:
    """Roughly how long a text-to-speech voice takes to say `text` (about 170 words a minute)."""
    return 0.25 + len(text.split()) * 0.36 if text else 0.0


def hold_cues(seconds: float, opening: str = "Hold.", reminder: str | None = None) -> list[Cue]:
    """`opening`, markers for long holds, then the last seconds counted down. `reminder` (a
    form reminder: the exercise's first caution) after "Halfway." where it fits with room to
    spare, so that it never lengthens the hold (a line longer than its gap would)."""
    marks: dict[float, str] = {0.0: opening}
    if seconds >= 30:
        marks[seconds / 2] = "Halfway."
        at = seconds / 2 + REMINDER_AFTER
        if reminder and estimate_speech_seconds(reminder) * 1.5 <= seconds - 10 - at:
            marks[at] = reminder
    if seconds >= 20:
        marks[seconds / 4] = BREATHE
        marks[seconds - 10] = "10 seconds left."
    last = 5 if seconds >= 8 else 3 if seconds >= 4 else 0
    for remaining in range(last, 0, -1):
        marks[seconds - remaining] = f"{remaining}."
    return _timed(marks, seconds, State.HOLDING)


def countdown(seconds: float, opening: str) -> tuple[Cue, ...]:
    marks: dict[float, str] = {0.0: opening}
    if seconds >= 45:
        marks[seconds - 30] = "30 seconds."
    if seconds >= 20:
        marks[seconds - 10] = "10 seconds."
    if seconds >= 8:
        marks.update({seconds - 3: "3.", seconds - 2: "2.", seconds - 1: "1."})
    return tuple(_timed(marks, seconds, State.RESTING))


def describe(dosage: Dosage) -> str:
    """The dosage as said before an exercise: "3 sets of 10 reps on each side, holding each ..."."""
    per_side = {Sides.EACH: " on each side", Sides.ALTERNATE: ", alternating sides"}
    sides = per_side.get(dosage.sides, "")
    hold = spoken_seconds(dosage.hold_seconds)
    if dosage.reps == 1 and dosage.hold_seconds and dosage.sides != Sides.ALTERNATE:
        one = f"A {dosage.hold_seconds:g} second hold"
        what = one if dosage.sets == 1 else f"{dosage.sets} holds of {hold}"
        # not "hold on each side": "hold on" is a command
        return f"{what}{' per side' if dosage.sides == Sides.EACH else ''}."
    what = f"{dosage.reps} reps{sides}"
    if dosage.sets > 1:
        what = f"{dosage.sets} sets of {what}"
    if dosage.hold_seconds:
        what += f", holding each for {hold}"
    return f"{what[:1].upper()}{what[1:]}."


def spoken_seconds(value: float) -> str:
    return f"{value:g} second{'' if value == 1 else 's'}"


def _timed(marks: dict[float, str], total: float, state: State) -> list[Cue]:
    times = sorted(marks)
    ends = [*times[1:], total]
    return [Cue(marks[t], end - t, state) for t, end in zip(times, ends, strict=True)]


def _spoken(lines: list[str], state: State) -> tuple[Cue, ...]:
    return tuple(Cue(line, 0.0, state, pause=INSTRUCTION_PAUSE) for line in lines)
