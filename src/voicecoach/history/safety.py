"""Pain-aware lines said before a workout starts. None means there is nothing to say."""

from voicecoach.history.store import HistoryStore

PAIN_STREAK = 2  # sessions in a row with a pain report before we suggest seeing a doctor

SUGGESTED_ROUTINE = "gentle-stretches"  # what PAIN_ADVICE recommends

FIRST_RUN = (
    "Before your first workout, one thing to know: VoiceCoach guides your exercises, but it is "
    "not a doctor and nothing it says is medical advice. If a movement brings on pain, stop it "
    "straight away, and check with a doctor or physiotherapist before trying it again."
)

PAIN_ADVICE = (
    "Your back has been painful in each of your last two workouts. Today, please choose the "
    "gentle stretches rather than anything harder. Pain that keeps coming back deserves a "
    "proper look, so see a doctor or physiotherapist before you build up again, and rest "
    "instead if the pain is sharp."
)


def first_run_notice(store: HistoryStore) -> str | None:
    """The not-medical-advice notice, said only while the history holds no session."""
    return FIRST_RUN if store.session_count() == 0 else None


def pain_advice(store: HistoryStore) -> str | None:
    """After pain in each of the last two sessions: suggest the gentle routine and a doctor."""
    return PAIN_ADVICE if pain_streak(store) else None


def pain_streak(store: HistoryStore) -> bool:
    """True when each of the last PAIN_STREAK sessions had a pain report."""
    recent = store.recent_pain(PAIN_STREAK)
    return len(recent) == PAIN_STREAK and all(recent)
