"""`serve` through PulseAudio: its cues, the check-in's every branch and a lost microphone, by
voice. The person speaks once the coach has finished and is listening again (barge-in: see
test_live_session), and says each phrase once: every phrase must be understood the first time."""

import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from voicecoach import serve
from voicecoach.audio.microphone import Microphone
from voicecoach.audio.outputs import SoundDeviceOutput, chime
from voicecoach.coach.events import CommandHeard, Event, RoutineStarted, Say, SessionEnded
from voicecoach.history.store import HistoryStore
from voicecoach.live import VoiceCache
from voicecoach.serve import (
    KEEP_CHOSEN,
    NO_PAIN,
    NOT_CAUGHT,
    OFFER_GENTLE,
    QUESTION,
    REST_TODAY,
    SHARP,
    SORE,
    Server,
    recognizers,
)
from voicecoach.settings import Settings
from voicecoach.voices.speakers import make_speaker

from audio_stack import PulseRoom, wait_for
from session_support import mini_library
from test_history_support import record_session

pytestmark = pytest.mark.audio

SETTLE = 0.3  # seconds from opening the microphone to speaking: its first blocks are flowing


class Serving:
    """`serve` on the room's speaker and microphone, in a thread; what it said, when it opened
    the microphone (it opens it for each thing it listens for, after it has finished speaking)."""

    def __init__(
        self, room: PulseRoom, spoken: Callable[[str], Path], data: Path, once: bool = False,
        **settings: object,
    ) -> None:  # fmt: skip
        """`once`: as `voicecoach run` does with a microphone, not waiting for a cue."""
        self.room, self.spoken = room, spoken
        config = Settings(routine="quick", data_dir=data, engine="pocketsphinx", **settings)
        self.events: list[Event] = []
        self.opened: list[float] = []
        self.output = SoundDeviceOutput()
        library = mini_library()
        self.server = Server(library, config, self.output, VoiceCache(make_speaker()),
                             recognizers(config), self.events.append)  # fmt: skip
        self.server.microphone = self._microphone
        turn = partial(self.server.once, library.routines["quick"])
        self.thread = threading.Thread(target=turn if once else self.server.run, daemon=True)
        self.once = once

    def __enter__(self) -> "Serving":
        self.thread.start()
        if not self.once:
            assert wait_for(lambda: self.server.state == "waiting", 30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
        self.thread.join(timeout=20)
        self.output.close()

    def _microphone(self) -> Microphone:
        serving = self

        class Opened(Microphone):
            def open(self) -> None:
                super().open()
                serving.opened.append(time.monotonic())

        return Opened()

    def said(self) -> list[str]:
        return [e.text for e in self.events if isinstance(e, Say)]

    def started(self) -> list[str]:
        return [e.routine for e in self.events if isinstance(e, RoutineStarted)]

    def wait_listening(self) -> None:
        """Until the coach listens: its last line said, the microphone opened after it."""
        lines = [e.t for e in self.events if isinstance(e, Say)]
        since = lines[-1] if lines else 0.0
        listening = wait_for(lambda: any(t > since for t in self.opened), 30)
        assert listening, f"not listening; {self.story()}"
        time.sleep(SETTLE)

    def say(self, phrase: str) -> None:
        """Say `phrase` once, when the coach is listening."""
        self.wait_listening()
        self.room.play(self.spoken(phrase))

    def answer(self, phrase: str, reply: str, timeout: float = 8) -> None:
        """Say `phrase`; the coach's next line must be `reply`."""
        before = len(self.said())
        self.say(phrase)
        replied = wait_for(lambda: len(self.said()) > before, timeout)
        assert replied and self.said()[before] == reply, f"{phrase!r}: {self.story()}"

    def story(self) -> str:
        heard = [(e.command, e.text, round(e.t, 1)) for e in self.events
                 if isinstance(e, CommandHeard)]  # fmt: skip
        return f"state {self.server.state}, heard {heard}, said {self.said()[-4:]}"


@pytest.fixture
def serving(room, spoken, tmp_path):
    with Serving(room, spoken, tmp_path) as serving:
        yield serving


def test_serve_starts_checks_in_coaches_and_waits_again(serving):
    serving.answer("start workout", QUESTION)
    serving.answer("no pain", NO_PAIN)  # understood the first time: the question was asked once
    assert wait_for(lambda: serving.started() == ["quick"], 10), serving.story()
    # the plank's first hold, when the coach is quiet (barge-in: see test_live_session)
    holding = lambda: any(getattr(e, "state", None) == "holding" for e in serving.events)  # noqa: E731
    assert wait_for(holding, 60), serving.story()
    time.sleep(1.5)  # a beat after the coach's "Hold."
    # A person whose "end workout" goes unanswered says it again: once, as the live drive test
    # allows (a missed command's rate is the benchmark's to measure).
    ended = lambda: any(isinstance(e, SessionEnded) for e in serving.events)  # noqa: E731
    tries = 0
    while tries < 2 and not ended():
        tries += 1
        serving.room.play(serving.spoken("end workout"))
        wait_for(ended, 4)
    assert ended(), f"'end workout' said {tries} times; {serving.story()}"
    assert wait_for(lambda: serving.server.state == "waiting", 30), serving.story()
    ended = [e.reason for e in serving.events if isinstance(e, SessionEnded)]
    assert ended == ["ended"]
    # and it is listening for the next workout
    serving.answer("start workout", QUESTION)
    assert serving.said().count(QUESTION) == 2
    assert (serving.server.settings.data_dir / "history.sqlite3").exists()


def test_run_checks_in_first_unless_the_setting_is_off(room, spoken, tmp_path):
    """`voicecoach run` with a microphone: serve's check-in, then the workout, no cue."""
    with Serving(room, spoken, tmp_path, once=True) as serving:
        assert wait_for(lambda: serving.said()[:1] == [QUESTION], 30), serving.story()
        serving.answer("a bit sore", SORE)
        assert wait_for(lambda: serving.started() == ["quick"], 10), serving.story()
    with Serving(room, spoken, tmp_path, once=True, check_in=False) as serving:
        assert wait_for(lambda: serving.started() == ["quick"], 30), serving.story()
        assert QUESTION not in serving.said()


def test_after_two_painful_sessions_the_gentle_routine_runs_unless_declined(room, spoken, tmp_path):
    """The pain-safety suggestion acted on by voice: no answer runs the gentle routine; "no"
    keeps the one asked for, with a warning."""
    for data in (tmp_path / "silent", tmp_path / "declines"):  # each after two painful sessions
        data.mkdir()
        with HistoryStore(data / "history.sqlite3") as store:
            for _ in range(2):
                record_session(store, "quick", pain=("plank",), end="pain")
    offer = OFFER_GENTLE.format(gentle="Gentle stretches", chosen="Quick")
    with Serving(room, spoken, tmp_path / "silent", once=True, check_in=False) as serving:
        assert wait_for(lambda: serving.said()[:1] == [offer], 30), serving.story()
        assert wait_for(lambda: serving.started() == ["gentle-stretches"], 30), serving.story()
    with Serving(room, spoken, tmp_path / "declines", once=True, check_in=False) as serving:
        assert wait_for(lambda: serving.said()[:1] == [offer], 30), serving.story()
        serving.answer("no", KEEP_CHOSEN.format(chosen="Quick"))
        assert wait_for(lambda: serving.started() == ["quick"], 10), serving.story()


def test_sharp_pain_offers_gentle_stretches_no_rests_and_yes_stretches(serving):
    serving.answer("start workout", QUESTION)
    serving.answer("sharp pain", SHARP)
    serving.answer("no", REST_TODAY)
    assert wait_for(lambda: serving.server.state == "waiting", 10), serving.story()
    assert serving.started() == []
    serving.answer("start workout", QUESTION)
    serving.answer("sharp pain", SHARP)
    serving.say("yes")
    assert wait_for(lambda: serving.started() == ["gentle-stretches"], 10), serving.story()


def test_list_workouts_then_start_one_by_name_a_bit_sore(serving):
    serving.answer("list workouts", serving.server.list_text())
    serving.answer("start strong", QUESTION)
    serving.answer("a bit sore", SORE)
    assert wait_for(lambda: serving.started() == ["strong"], 10), serving.story()


def test_no_answer_asks_twice_then_goes_back_to_waiting(room, spoken, tmp_path, monkeypatch):
    monkeypatch.setattr(serve, "ANSWER_SECONDS", 2.0)  # 12 s in use: the same branch, sooner
    with Serving(room, spoken, tmp_path) as serving:
        serving.answer("start workout", QUESTION)
        assert wait_for(lambda: NOT_CAUGHT in serving.said(), 30), serving.story()
        assert serving.said() == [QUESTION, QUESTION, NOT_CAUGHT]
        assert wait_for(lambda: serving.server.state == "waiting", 10)
        assert serving.started() == []


def test_a_microphone_lost_while_waiting_is_retried_until_it_is_back(serving):
    serving.answer("list workouts", serving.server.list_text())
    serving.wait_listening()
    opened = len(serving.opened)
    serving.room.unplug_mic()
    time.sleep(2.5)  # more than one retry
    serving.room.plug_all()
    assert wait_for(lambda: len(serving.opened) > opened, 10), "the microphone was not reopened"
    assert serving.thread.is_alive() and serving.server.state == "waiting"
    serving.answer("start workout", QUESTION)


def test_stopping_during_the_check_in_says_nothing_more(serving):
    """systemd stops the service: during the question it neither asks again nor says it did not
    catch the answer (it did both, about 10 s, before it stopped)."""
    serving.answer("start workout", QUESTION)
    serving.wait_listening()
    lines, stopped = len(serving.said()), time.monotonic()
    serving.server.stop()
    serving.thread.join(timeout=20)
    assert not serving.thread.is_alive()
    assert time.monotonic() - stopped < 2.0
    assert len(serving.said()) == lines, serving.story()


def test_the_chime_is_short_and_not_silent():
    tone = chime(rate=16_000)
    assert 0.1 < len(tone) / 16_000 < 0.3
    assert abs(tone).max() > 5000
