"""`serve` through PulseAudio: "start workout" by voice, check-in by voice, commands, wait again."""

import threading
import time
from collections.abc import Callable

import pytest

from voicecoach.coach.events import Event, RoutineStarted, Say, SessionEnded
from voicecoach.live import VoiceCache
from voicecoach.serve import QUESTION, Server, chime, recognizers
from voicecoach.settings import Settings
from voicecoach.speech.audio import SoundDeviceOutput
from voicecoach.speech.speakers import make_speaker

from session_support import mini_library

pytestmark = pytest.mark.audio


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_serve_starts_checks_in_coaches_and_waits_again(room, spoken, tmp_path):
    settings = Settings(routine="quick", data_dir=tmp_path, engine="pocketsphinx")
    events: list[Event] = []
    with SoundDeviceOutput() as output:
        server = Server(mini_library(), settings, output, VoiceCache(make_speaker()),
                        recognizers(settings), events.append)  # fmt: skip
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            assert wait_for(lambda: server.state == "waiting", 30)

            def said(text: str) -> int:
                return sum(1 for e in events if isinstance(e, Say) and e.text == text)

            def say_until(phrase: str, condition: Callable[[], bool], timeout: float = 8) -> None:
                for _ in range(2):
                    room.play(spoken(phrase))
                    if wait_for(condition, timeout):
                        return
                pytest.fail(f"no reaction to {phrase!r}; state {server.state}, {events[-3:]}")

            say_until("start workout", lambda: said(QUESTION) == 1)
            say_until("no pain", lambda: server.state == "session")
            assert wait_for(lambda: any(isinstance(e, RoutineStarted) for e in events), 10)
            # the plank's first hold, when the coach is quiet (barge-in: see test_live_session)
            assert wait_for(lambda: any(getattr(e, "state", None) == "holding" for e in events), 60)
            time.sleep(1.5)  # a beat after the coach's "Hold."
            say_until("end workout", lambda: any(isinstance(e, SessionEnded) for e in events))
            assert wait_for(lambda: server.state == "waiting", 30)
            # and it is listening for the next workout
            say_until("start workout", lambda: said(QUESTION) == 2)
        finally:
            server.stop()
            thread.join(timeout=20)
    ended = [e.reason for e in events if isinstance(e, SessionEnded)]
    assert ended == ["ended"]
    assert (tmp_path / "history.sqlite3").exists()


def test_the_chime_is_short_and_not_silent():
    tone = chime(rate=16_000)
    assert 0.1 < len(tone) / 16_000 < 0.3
    assert abs(tone).max() > 5000
