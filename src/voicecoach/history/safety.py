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


GENTLE_TODAY = (
    "Your back has been painful in each of your last two workouts, so today is gentle "
    "stretches only. Pain that keeps coming back deserves a proper look: see a doctor or "
    "physiotherapist before you build up again, and rest instead if the pain is sharp."
)


def first_run_notice(store: HistoryStore) -> str | None:
    """The not-medical-advice notice, said only while the history holds no session."""
    return FIRST_RUN if store.session_count() == 0 else None


def pain_advice(store: HistoryStore, routine_id: str | None = None) -> str | None:
    """After pain in each of the last two sessions: suggest the gentle routine (unless it is
    `routine_id`, the one about to start) and a doctor."""
    if not pain_streak(store):
        return None
    return GENTLE_TODAY if routine_id == SUGGESTED_ROUTINE else PAIN_ADVICE


def pain_streak(store: HistoryStore) -> bool:
    """True when each of the last PAIN_STREAK sessions had a pain report."""
    recent = store.recent_pain(PAIN_STREAK)
    return len(recent) == PAIN_STREAK and all(recent)
