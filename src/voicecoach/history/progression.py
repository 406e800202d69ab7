"""Dosage progression from the log: step up after clean sessions, step back after pain.

Per exercise, the rule is the routine entry's `progression`, else the exercise's. The history
of the exercise (across all routines) is replayed from the rule's `start`: every `sessions`
completed sessions without a pain report on it raise the level one `step` (up to `target`);
a session with a pain report on it lowers it one step (never below `start`) and restarts the
count. Replaying, rather than storing a level, means an edited rule applies to the past too.

While the pain streak of `safety.pain_advice` is on (pain in the last two sessions), nothing
steps up: the coach is advising the gentle routine, so it must not also say "build up".
"""

import math
from dataclasses import dataclass

from voicecoach.history.queries import ExerciseOutcome
from voicecoach.history.safety import pain_streak
from voicecoach.history.store import HistoryStore
from voicecoach.history.wording import amount, exercise_phrase
from voicecoach.routines.loader import Library
from voicecoach.routines.schema import Exercise, Progression, Routine, RoutineEntry


@dataclass(frozen=True)
class Level:
    now: int  # steps above start for the coming session
    before: int | None  # steps above start at the last session of it; None: never done
    pain_last_time: bool


def plan_progression(
    library: Library, routine: Routine, store: HistoryStore
) -> tuple[Routine, list[str]]:
    """`routine` with each progressing exercise's dosage for today, and what to say about it."""
    entries: list[RoutineEntry] = []
    lines: list[str] = []
    hold = pain_streak(store)
    for entry in routine.exercises:
        rule = entry.progression or _exercise_rule(library, entry)
        if rule is None:
            entries.append(entry)
            continue
        level = replay(rule, store.exercise_outcomes(entry.exercise))
        if hold and level.before is not None and level.now > level.before:
            level = Level(level.before, level.before, level.pain_last_time)
        entries.append(_with_value(entry, rule, value_at(rule, level.now)))
        if line := _line(library.exercises.get(entry.exercise), entry, rule, level):
            lines.append(line)
    return routine.model_copy(update={"exercises": entries}), lines


def replay(rule: Progression, outcomes: list[ExerciseOutcome]) -> Level:
    top = max_level(rule)
    level, clean, before, pain = 0, 0, None, False
    for outcome in outcomes:
        before, pain = level, outcome.pain
        if outcome.pain:
            level, clean = max(0, level - 1), 0
        elif outcome.completed:
            clean += 1
            if clean >= rule.sessions:
                level, clean = min(top, level + 1), 0
    return Level(level, before, pain)


def max_level(rule: Progression) -> int:
    return math.ceil((rule.target - rule.start) / rule.step - 1e-9)


def value_at(rule: Progression, level: int) -> float:
    return min(rule.target, rule.start + level * rule.step)


def _exercise_rule(library: Library, entry: RoutineEntry) -> Progression | None:
    exercise = library.exercises.get(entry.exercise)
    return exercise.progression if exercise else None


def _with_value(entry: RoutineEntry, rule: Progression, value: float) -> RoutineEntry:
    typed: float = value if rule.field == "hold_seconds" else max(1, round(value))
    dosage = entry.dosage.model_copy(update={rule.field: typed})
    return entry.model_copy(update={"dosage": dosage})


def _line(
    exercise: Exercise | None, entry: RoutineEntry, rule: Progression, level: Level
) -> str | None:
    """Only a change (or pain at the lowest level) is worth saying before the workout."""
    if level.before is None:
        return None
    name = exercise_phrase(exercise.name if exercise else entry.exercise)
    today = amount(rule.field, value_at(rule, level.now))
    if level.pain_last_time:
        if level.now < level.before:
            return f"The {name} was painful last time, so today we ease off to {today}."
        return (
            f"The {name} was painful last time, so we keep it at an easy {today}. "
            "Go gently, and stop that exercise if the pain comes back."
        )
    if level.now > level.before:
        top = " That is the full amount for this exercise." if level.now == max_level(rule) else ""
        return f"The {name} went well last time, so today we build up to {today}.{top}"
    return None
