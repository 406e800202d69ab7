"""What the session engine produces. Consumers: text/JSON output, the speaker, the history log."""

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from voicecoach.coach.commands import Command


class State(StrEnum):
    """What the session is doing now (what a command interrupts)."""

    SPEAKING = "speaking"  # announcing or reading instructions
    COUNTING = "counting"  # counting reps
    HOLDING = "holding"  # counting a hold down
    RESTING = "resting"
    PAUSED = "paused"
    FINISHED = "finished"


@dataclass(frozen=True)
class Event:
    type: ClassVar[str]
    t: float  # session seconds

    def to_json(self) -> dict[str, Any]:
        return {"t": round(self.t, 3), "type": self.type} | {
            k: v for k, v in asdict(self).items() if k != "t"
        }


@dataclass(frozen=True)
class Say(Event):
    type: ClassVar[str] = "say"
    text: str
    duration: float  # seconds the engine allows for saying it


@dataclass(frozen=True)
class Hush(Event):
    """Stop talking at once (a command cut in)."""

    type: ClassVar[str] = "hush"


@dataclass(frozen=True)
class StateChanged(Event):
    type: ClassVar[str] = "state"
    state: State
    routine: str
    exercise: str | None = None
    set: int | None = None
    sets: int | None = None
    side: str | None = None


@dataclass(frozen=True)
class CommandHeard(Event):
    type: ClassVar[str] = "command"
    command: Command
    text: str = ""


@dataclass(frozen=True)
class SetDone(Event):
    """A set (one side of it, for one-sided exercises) finished or was cut short."""

    type: ClassVar[str] = "set_done"
    routine: str
    exercise: str
    set: int
    side: str | None
    reps: int  # reps counted (for holds: 1 once the hold was held)
    seconds: float  # seconds of work, pauses excluded
    completed: bool  # False when cut short by next/skip/end/pain


@dataclass(frozen=True)
class ExerciseDone(Event):
    type: ClassVar[str] = "exercise_done"
    routine: str
    exercise: str
    skipped: bool
    completed: bool = True  # every set of it finished, none cut short (what progression counts)


@dataclass(frozen=True)
class PainReported(Event):
    type: ClassVar[str] = "pain"
    routine: str
    exercise: str | None
    set: int | None
    state: State


@dataclass(frozen=True)
class RoutineStarted(Event):
    type: ClassVar[str] = "routine"
    routine: str
    name: str
    reason: str = "start"  # "start" or "pain"


@dataclass(frozen=True)
class SessionEnded(Event):
    type: ClassVar[str] = "end"
    reason: str  # "completed", "ended" (by command) or "pain"
    summary: str
    exercises_done: list[str] = field(default_factory=list)
    exercises_skipped: list[str] = field(default_factory=list)
