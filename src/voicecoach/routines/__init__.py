"""Routines and exercises: the YAML schema and its strict loader."""

from voicecoach.routines.loader import Library, default_routines_dir, load_library
from voicecoach.routines.schema import Dosage, Exercise, Routine, RoutineEntry

__all__ = [
    "Dosage",
    "Exercise",
    "Library",
    "Routine",
    "RoutineEntry",
    "default_routines_dir",
    "load_library",
]
