"""`voicecoach routines`, `show` and `validate`."""

import argparse
import json
from pathlib import Path

from voicecoach.coach.session import planned_seconds
from voicecoach.errors import UserError
from voicecoach.routines import Library, load_library
from voicecoach.routines.loader import load_model
from voicecoach.routines.schema import Dosage, Exercise, Routine


def register(sub: argparse._SubParsersAction) -> None:
    listing = sub.add_parser("routines", help="list the routines")
    listing.add_argument("--json", action="store_true", help="one JSON object per routine")
    listing.set_defaults(handler=list_routines)

    show = sub.add_parser("show", help="show a routine's exercises and dosage")
    show.add_argument("routine", help="routine id or YAML file")
    show.set_defaults(handler=show_routine)

    validate = sub.add_parser("validate", help="check routine or exercise YAML files")
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    validate.set_defaults(handler=validate_paths)


def list_routines(args: argparse.Namespace) -> int:
    library = load_library()
    for routine in library.routines.values():
        if args.json:
            print(json.dumps(_summary(library, routine)))
        else:
            minutes = round(planned_seconds(library, routine) / 60)
            print(f"{routine.id:<22} {routine.level:<12} ~{minutes:>2} min  {routine.name}")
    return 0


def show_routine(args: argparse.Namespace) -> int:
    library = load_library()
    routine = library.routine(args.routine)
    print(f"{routine.name} ({routine.id}) — {routine.level}, from {routine.source}")
    if routine.description:
        print(routine.description)
    for number, (exercise, _, dosage) in enumerate(library.steps(routine), start=1):
        print(f"{number:>2}. {exercise.name}: {describe_dosage(dosage)}")
    if routine.fallback:
        print(f"On pain: switches to {routine.fallback}")
    return 0


def validate_paths(args: argparse.Namespace) -> int:
    library = load_library()
    for path in args.paths:
        if not path.is_file():
            raise UserError(f"{path}: no such file")
        if path.parent.name == "exercises":
            load_model(path, Exercise)
        else:
            library.check_routine(load_model(path, Routine), path)
        print(f"{path}: ok")
    return 0


def describe_dosage(dosage: Dosage) -> str:
    parts = [f"{dosage.sets} x {dosage.reps}"]
    if dosage.sides != "none":
        parts.append("per side" if dosage.sides == "each" else "alternating sides")
    if dosage.hold_seconds:
        parts.append(f"hold {dosage.hold_seconds:g} s")
    if dosage.sets > 1:
        parts.append(f"rest {dosage.rest_seconds:g} s")
    return ", ".join(parts)


def _summary(library: Library, routine: Routine) -> dict:
    return {
        "id": routine.id,
        "name": routine.name,
        "level": routine.level,
        "source": routine.source,
        "exercises": [e.exercise for e in routine.exercises],
        "minutes": round(planned_seconds(library, routine) / 60, 1),
    }
