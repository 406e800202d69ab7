"""The routine format. These pydantic models are the single source of truth for the YAML files."""

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StringConstraints,
    model_validator,
)

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
SpokenLine = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=240)]
# Numbers must be written as numbers: YAML reads `yes` as true and "10" is a string, both slips.
Count = StrictInt
Seconds = StrictFloat
MAX_EXERCISES = 100  # per routine: far more than any workout, and keeps planning quick


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Kind(StrEnum):
    STRENGTH = "strength"
    STRETCH = "stretch"
    HOLD = "hold"
    BREATHING = "breathing"


class Equipment(StrEnum):
    NONE = "none"
    MAT = "mat"
    BARBELL = "barbell"
    DUMBBELL = "dumbbell"
    BENCH = "bench"
    MACHINE = "machine"


class Level(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class Sides(StrEnum):
    NONE = "none"  # both sides work together
    EACH = "each"  # every set is done on the left, then again on the right
    ALTERNATE = "alternate"  # reps alternate left and right within a set


class Dosage(Strict):
    """How much of an exercise: `reps` per set (per side unless sides is none)."""

    sets: Count = Field(1, ge=1, le=20)
    reps: Count = Field(1, ge=1, le=100)
    hold_seconds: Seconds = Field(0, ge=0, le=600)
    sides: Sides = Sides.NONE
    rest_seconds: Seconds = Field(30, ge=0, le=600)
    tempo_seconds: Seconds = Field(3, gt=0, le=30)


class DosageOverride(Strict):
    """A routine's changes to an exercise's default dosage; unset fields keep the default."""

    sets: Count | None = Field(None, ge=1, le=20)
    reps: Count | None = Field(None, ge=1, le=100)
    hold_seconds: Seconds | None = Field(None, ge=0, le=600)
    sides: Sides | None = None
    rest_seconds: Seconds | None = Field(None, ge=0, le=600)
    tempo_seconds: Seconds | None = Field(None, gt=0, le=30)


class Progression(Strict):
    """Step one dosage field from `start` toward `target` after `sessions` clean sessions."""

    field: Literal["sets", "reps", "hold_seconds"]
    start: Seconds = Field(ge=0)
    target: Seconds = Field(ge=0)
    step: Seconds = Field(gt=0)
    sessions: Count = Field(1, ge=1)

    @model_validator(mode="after")
    def _start_before_target(self) -> "Progression":
        if self.start > self.target:
            raise ValueError(f"start ({self.start}) is above target ({self.target})")
        limit = dosage_limit(self.field)
        if self.target > limit:
            raise ValueError(f"target ({self.target:g}) is above the {self.field} limit ({limit})")
        return self


class Move(Strict):
    """One movement of a rep and the words that cue it."""

    say: SpokenLine
    hold: bool = False  # held for the dosage's hold_seconds, the last seconds counted down


def first_side(text: str) -> str | None:
    """The first "left" or "right" in `text`, lower case; None when neither is there."""
    found = re.search(r"\b(left|right)\b", text, re.IGNORECASE)
    return found.group(1).lower() if found else None


class Exercise(Strict):
    id: Slug
    name: str = Field(min_length=1)
    kind: Kind
    equipment: list[Equipment] = Field(min_length=1)
    level: Level
    instructions: list[SpokenLine] = Field(min_length=1)
    dosage: Dosage
    cautions: list[SpokenLine] = []
    progression: Progression | None = None
    sources: list[str] = Field(min_length=1, description="Seed articles this exercise is from")
    moves: list[Move] = Field(
        [],
        description="The words for each movement of a rep with a hold, in order, e.g. 'Round "
        "your back up.' (held), 'Let your belly sink.' (held). Default: 'Hold.' (held), 'Down.'",
    )
    side_names: list[SpokenLine] = Field(
        [],
        description="For one-sided work: how each side is said, in the order it is done. Each "
        "names its side (left or right) first, e.g. 'right arm and left leg'.",
    )

    @model_validator(mode="after")
    def _both_sides_named(self) -> "Exercise":
        if self.side_names:
            sides = sorted(str(first_side(name)) for name in self.side_names)
            if sides != ["left", "right"]:
                raise ValueError(
                    "side_names: give two names, one starting with left, one with right "
                    f"(got {self.side_names})"
                )
        return self

    def sides_in_order(self) -> list[tuple[str, str]]:
        """(side, how it is said) in the order the sides are done."""
        if not self.side_names:
            return [("left", "left side"), ("right", "right side")]
        return [(str(first_side(name)), name) for name in self.side_names]


class RoutineEntry(Strict):
    exercise: Slug
    before: list[SpokenLine] = Field([], description="Said before the exercise is introduced")
    part: Literal["warm-up", "cool-down"] | None = Field(
        None, description="Set by the library for a warm-up's or cool-down's exercises"
    )
    dosage: DosageOverride = DosageOverride()
    progression: Progression | None = None
    set_lines: list[SpokenLine] = Field(
        [], description="Said as each set begins: the first line before set 1, and so on"
    )


class Routine(Strict):
    id: Slug
    name: str = Field(min_length=1)
    description: str = ""
    source: str = Field(min_length=1, description="The seed article the routine follows")
    level: Level
    intro: list[SpokenLine] = []
    fallback: Slug | None = Field("gentle-stretches", description="Routine to switch to on pain")
    warm_up: Slug | None = Field(None, description="A short routine done first (setting warm_up)")
    cool_down: Slug | None = Field(None, description="A short routine done last (setting warm_up)")
    rest_between_exercises: Seconds = Field(20, ge=0, le=600)  # default: not in the articles
    exercises: list[RoutineEntry] = Field(min_length=1, max_length=MAX_EXERCISES)


def effective_dosage(exercise: Exercise, entry: RoutineEntry) -> Dosage:
    """The exercise's dosage with the routine's overrides applied."""
    changes = entry.dosage.model_dump(exclude_none=True)
    return Dosage.model_validate(exercise.dosage.model_dump() | changes)


def dosage_limit(field: str) -> float:
    """The largest value `Dosage` allows for `field`."""
    return next(m.le for m in Dosage.model_fields[field].metadata if hasattr(m, "le"))
