"""Workout history (SQLite), dosage progression and pain-aware safety lines."""

from voicecoach.history.progression import plan_progression
from voicecoach.history.safety import first_run_notice, pain_advice
from voicecoach.history.store import HistoryStore, default_db_path

__all__ = ["HistoryStore", "default_db_path", "first_run_notice", "pain_advice", "plan_progression"]
