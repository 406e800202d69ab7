"""Strict loading of the routine library: every problem becomes one UserError line.

Layout: `<root>/exercises/<id>.yaml` holds one exercise each, `<root>/<id>.yaml` one routine each.
"""

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from voicecoach import yamlfile
from voicecoach.errors import UserError
from voicecoach.routines.schema import Dosage, Exercise, Routine, RoutineEntry, effective_dosage

Model = TypeVar("Model", bound=BaseModel)


def default_routines_dir() -> Path:
    """`$VOICECOACH_ROUTINES`, else the `routines/` folder of this checkout."""
    if env := os.environ.get("VOICECOACH_ROUTINES"):
        return Path(env)
    return Path(__file__).resolve().parents[3] / "routines"


@dataclass
class Library:
    exercises: dict[str, Exercise] = field(default_factory=dict)
    routines: dict[str, Routine] = field(default_factory=dict)

    def routine(self, ref: str) -> Routine:
        """A routine by id, or by the path of a YAML file checked against this library."""
        if ref in self.routines:
            return self.routines[ref]
        path = Path(ref)
        if path.suffix in (".yaml", ".yml") and path.is_file():
            routine = load_model(path, Routine)
            self.check_routine(routine, path)
            return routine
        known = ", ".join(sorted(self.routines)) or "none"
        raise UserError(f"{ref}: no such routine (known: {known})")

    def steps(self, routine: Routine) -> list[tuple[Exercise, RoutineEntry, Dosage]]:
        return [
            (self.exercises[e.exercise], e, effective_dosage(self.exercises[e.exercise], e))
            for e in routine.exercises
        ]

    def check_routine(self, routine: Routine, path: Path) -> None:
        for i, entry in enumerate(routine.exercises):
            if entry.exercise not in self.exercises:
                where = yamlfile.where(path, ("exercises", i, "exercise"))
                raise UserError(f"{where}: unknown exercise '{entry.exercise}'")
            effective_dosage(self.exercises[entry.exercise], entry)
        fallback = routine.fallback
        if fallback is not None and fallback not in self.routines and fallback != routine.id:
            where = yamlfile.where(path, ("fallback",))
            raise UserError(f"{where}: unknown fallback routine '{fallback}'")
        if circle := self.fallback_circle(routine):
            where = yamlfile.where(path, ("fallback",))
            raise UserError(f"{where}: fallback routines go round in a circle: {circle}")
        for part in ("warm_up", "cool_down"):
            if (problem := self._framing_problem(getattr(routine, part))) is not None:
                raise UserError(f"{yamlfile.where(path, (part,))}: {part}: {problem}")

    def _framing_problem(self, ref: str | None) -> str | None:
        if ref is None:
            return None
        if ref not in self.routines:
            return f"unknown routine '{ref}'"
        if self.routines[ref].warm_up or self.routines[ref].cool_down:
            return f"'{ref}' has a warm-up or cool-down of its own"
        return None

    def framed(self, routine: Routine) -> Routine:
        """`routine` with its warm-up's exercises first and its cool-down's last, each part
        begun with its routine's intro."""
        before, after = (
            _part(self.routines[ref], name) if ref else []
            for ref, name in ((routine.warm_up, "warm-up"), (routine.cool_down, "cool-down"))
        )
        exercises = [*before, *routine.exercises, *after]
        return routine.model_copy(update={"exercises": exercises})

    def fallback_circle(self, routine: Routine) -> str | None:
        """`a -> b -> a` when following fallbacks from `routine` comes back to one already passed.

        A routine falling back to itself means "no fallback" and ends the chain.
        """
        chain = [routine.id]
        current: Routine | None = routine
        while current is not None and current.fallback not in (None, current.id):
            following = current.fallback
            if following in chain:
                return " -> ".join([*chain, following])
            chain.append(following)
            current = self.routines.get(following)
        return None


def load_library(root: Path | None = None, extra: Iterable[Path] = ()) -> Library:
    """Load and cross-check every exercise and routine under `root` (and `extra` routine files)."""
    root = root or default_routines_dir()
    if not root.is_dir():
        raise UserError(f"{root}: routines folder not found")
    library = Library()
    for path in sorted((root / "exercises").glob("*.yaml")):
        _add(library.exercises, load_model(path, Exercise), path)
    routine_paths = [*sorted(root.glob("*.yaml")), *extra]
    for path in routine_paths:
        _add(library.routines, load_model(path, Routine), path)
    for path in routine_paths:
        routine = load_model(path, Routine)
        library.check_routine(routine, path)
    return library


def _part(routine: Routine, name: str) -> list[RoutineEntry]:
    """`routine`'s exercises as the `name` part of another, begun with its intro."""
    entries = [entry.model_copy(update={"part": name}) for entry in routine.exercises]
    first = entries[0]
    entries[0] = first.model_copy(update={"before": [*routine.intro, *first.before]})
    return entries


def _add(table: dict[str, Model], item: Model, path: Path) -> None:
    item_id = item.id  # type: ignore[attr-defined]
    if item_id in table:
        raise UserError(f"{path}: id '{item_id}' is defined twice")
    check_id(item, path)
    table[item_id] = item


def check_id(item: Exercise | Routine, path: Path) -> None:
    """A library file is named after its id (routines and exercises are found by file name)."""
    if path.stem != item.id:
        raise UserError(f"{path}: id '{item.id}' does not match the file name '{path.stem}'")


def load_model(path: Path, model: type[Model]) -> Model:
    """Parse one YAML file into `model`; any problem is one line naming file, line and field."""
    text = yamlfile.read_text(path, f"the {model.__name__.lower()} file")
    data = yamlfile.parse(path, text)
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise UserError(f"{path}: expected a mapping of fields, found {found}")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(first["loc"])
        where = yamlfile.where(path, loc)
        raise UserError(f"{where}: {_field_name(loc)}: {yamlfile.problem(first)}") from None


def _field_name(loc: tuple) -> str:
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "(top level)"
