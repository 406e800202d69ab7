"""The routine format. These pydantic models are the single source of truth for the YAML files."""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
SpokenLine = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=240)]


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

    sets: int = Field(1, ge=1, le=20)
    reps: int = Field(1, ge=1, le=100)
    hold_seconds: float = Field(0, ge=0, le=600)
    sides: Sides = Sides.NONE
    rest_seconds: float = Field(30, ge=0, le=600)
    tempo_seconds: float = Field(3, gt=0, le=30)


class DosageOverride(Strict):
    """A routine's changes to an exercise's default dosage; unset fields keep the default."""

    sets: int | None = Field(None, ge=1, le=20)
    reps: int | None = Field(None, ge=1, le=100)
    hold_seconds: float | None = Field(None, ge=0, le=600)
    sides: Sides | None = None
    rest_seconds: float | None = Field(None, ge=0, le=600)
    tempo_seconds: float | None = Field(None, gt=0, le=30)


class Progression(Strict):
    """Step one dosage field from `start` toward `target` after `sessions` clean sessions."""

    field: Literal["sets", "reps", "hold_seconds"]
    start: float = Field(ge=0)
    target: float = Field(ge=0)
    step: float = Field(gt=0)
    sessions: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _start_before_target(self) -> "Progression":
        if self.start > self.target:
            raise ValueError(f"start ({self.start}) is above target ({self.target})")
        return self


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


class RoutineEntry(Strict):
    exercise: Slug
    dosage: DosageOverride = DosageOverride()
    progression: Progression | None = None


class Routine(Strict):
    id: Slug
    name: str = Field(min_length=1)
    description: str = ""
    source: str = Field(min_length=1, description="The seed article the routine follows")
    level: Level
    intro: list[SpokenLine] = []
    fallback: Slug | None = Field("gentle-stretches", description="Routine to switch to on pain")
    rest_between_exercises: float = Field(20, ge=0, le=600)
    exercises: list[RoutineEntry] = Field(min_length=1)


def effective_dosage(exercise: Exercise, entry: RoutineEntry) -> Dosage:
    """The exercise's dosage with the routine's overrides applied."""
    changes = entry.dosage.model_dump(exclude_none=True)
    return Dosage.model_validate(exercise.dosage.model_dump() | changes)
