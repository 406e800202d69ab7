"""The first-run notice and the advice after pain in two sessions in a row."""

from pathlib import Path

from voicecoach.history.safety import (
    GENTLE_TODAY,
    PAIN_ADVICE,
    SUGGESTED_ROUTINE,
    first_run_notice,
    pain_advice,
)
from voicecoach.history.store import HistoryStore

from test_history_support import record_session


def test_first_run_notice_only_on_an_empty_history(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        notice = first_run_notice(store)
        assert notice is not None and "medical advice" in notice
        assert "stop" in notice and "doctor" in notice
        record_session(store, "r")
        assert first_run_notice(store) is None


def test_pain_advice_after_two_painful_sessions_in_a_row(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        assert pain_advice(store) is None
        record_session(store, "r", pain=("bridge",), end="pain")
        assert pain_advice(store) is None  # once is not a pattern
        record_session(store, "r", done=("bridge",))
        record_session(store, "r", pain=("plank",), end="pain")
        assert pain_advice(store) is None  # not in a row
        record_session(store, "r", pain=(None,), end="ended")  # pain between exercises counts
        advice = pain_advice(store)
        assert advice is not None and "gentle stretches" in advice and "doctor" in advice
        record_session(store, "gentle-stretches", done=("childs-pose",))
        assert pain_advice(store) is None  # a calm session ends the streak


def test_pain_advice_in_the_gentle_routine_says_so_rather_than_suggesting_it(
    tmp_path: Path,
) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        for _ in range(2):
            record_session(store, "r", pain=("bridge",), end="pain")
        assert pain_advice(store, "r") == PAIN_ADVICE
        gentle = pain_advice(store, SUGGESTED_ROUTINE)
        assert gentle == GENTLE_TODAY and "please choose" not in gentle and "doctor" in gentle
