"""A live session through a real audio stack: PulseAudio's virtual room, real recogniser and voice.

Spoken commands are played into the room (the microphone hears them together with the coach);
the coach's speech goes out through sounddevice into the same room.
"""

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from voicecoach.audio.microphone import Microphone
from voicecoach.audio.outputs import CHIME, SoundDeviceOutput, chime
from voicecoach.coach.events import (
    CommandHeard,
    Event,
    RoutineStarted,
    SessionEnded,
    SetDone,
    State,
    StateChanged,
)
from voicecoach.coach.session import Session
from voicecoach.live import LiveCoach, VoiceCache
from voicecoach.speech.commands import help_text
from voicecoach.speech.engines import make_recognizer
from voicecoach.speech.listener import Judged, Listener
from voicecoach.voices.speakers import make_speaker

from session_support import mini_library

pytestmark = pytest.mark.audio


class LiveRun:
    def __init__(self, routine: str, echo_cancel: bool = False) -> None:
        library = mini_library()
        voice = VoiceCache(make_speaker())
        self.session = Session(library, library.routines[routine], voice.seconds,
                               help_text=help_text())  # fmt: skip
        self.events: list[Event] = []
        self.output = SoundDeviceOutput()
        self.judged: list[Judged] = []
        listener = Listener(make_recognizer("pocketsphinx"), self.output, echo_cancel,
                            (self.judged.append,))  # fmt: skip
        self.coach = LiveCoach(self.session, listener, voice, self.output, Microphone,
                               self.events.append, earcon=chime())  # fmt: skip
        self.thread = threading.Thread(target=self.coach.run, daemon=True)
        self.spoken_at: list[float] = []  # session seconds when the test began a phrase

    def __enter__(self) -> "LiveRun":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.coach.stop()
        self.thread.join(timeout=30)
        self.output.close()

    def wait_for(self, condition: Callable[[list[Event]], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition(list(self.events)):
                return True
            time.sleep(0.05)
        return False

    def story(self) -> str:
        """For a failure message: what was obeyed, what was dropped as echo, the last events."""
        obeyed = [(str(e.command), e.text, round(e.t, 1)) for e in self.events
                  if isinstance(e, CommandHeard)]  # fmt: skip
        dropped = [j.event.text for j in self.judged if not j.obeyed]
        return f"obeyed {obeyed}, dropped as echo {dropped}, last events {self.events[-4:]}"

    def heard(self) -> list[str]:
        return [str(e.command) for e in self.events if isinstance(e, CommandHeard)]

    def heard_unprompted(self) -> list[str]:
        """Commands obeyed while the test was not speaking: the coach obeying its own voice."""
        return [
            f"{e.command} ({e.text!r} at {e.t:.1f} s)"
            for e in self.events
            if isinstance(e, CommandHeard)
            and not e.text.startswith("(")
            and not any(0 <= e.t - t <= SPOKEN_WITHIN for t in self.spoken_at)
        ]

    def from_devices(self) -> list[str]:
        """Commands the coach gave itself because a device went or came back."""
        return [
            str(e.command)
            for e in self.events
            if isinstance(e, CommandHeard) and e.text.startswith("(device")
        ]


def state_is(state: State) -> Callable[[list[Event]], bool]:
    def check(events: list[Event]) -> bool:
        changes = [e for e in events if isinstance(e, StateChanged)]
        return bool(changes) and changes[-1].state == state

    return check


SPOKEN_WITHIN = 4.0  # seconds from beginning a phrase to the command: the phrase and a decode
# A person answers a beat after the coach's line, not on its last sample; the recogniser wants
# 0.6 s of quiet before a command (PocketSphinxOptions.min_gap), and the line's echo ends a
# little after the output is done with it.
BEAT = 0.8


def say(room, run: LiveRun, wav: Path, command: str, over_the_coach: bool = False) -> list[str]:
    """Say a command into the room (twice if need be, as a person would) until it is heard;
    what was obeyed meanwhile (a command misheard on the first try, then this one). A person
    waits for the coach to finish its line first, and a beat more (CI, under load: an answer to
    "resume" came late, "next" was said over it and heard as "it hurts?"; "next" said as soon as
    "Keep breathing steadily." had been played was heard as "too painful" and dropped as echo);
    speaking over the coach on purpose is `over_the_coach` (barge-in)."""
    start = len(run.heard())
    for _ in range(2):
        if not over_the_coach:
            assert run.wait_for(lambda _: not run.output.busy, timeout=15), run.story()
            time.sleep(BEAT)
        before = run.heard().count(command)
        run.spoken_at.append(run.coach.driver.clock.now())
        room.play(wav)
        if run.wait_for(
            lambda _, before=before: run.heard().count(command) > before, timeout=SPOKEN_WITHIN
        ):
            return run.heard()[start:]
    pytest.fail(f"{command!r} was not heard; {run.story()}")


def test_spoken_commands_drive_a_live_session(room, spoken):
    with room.recording() as recorded, LiveRun("quick") as run:
        assert run.wait_for(state_is(State.HOLDING), timeout=40), run.story()
        time.sleep(1.5)  # a beat after the coach's "Hold."
        obeyed = [say(room, run, spoken("pause"), "pause")]
        assert run.session.state == State.PAUSED
        obeyed.append(say(room, run, spoken("resume"), "resume"))
        obeyed.append(say(room, run, spoken("next"), "next"))
        assert run.wait_for(lambda e: [x.completed for x in e if isinstance(x, SetDone)], 5)
        # "next" cut the plank's 20 s hold short: the set ends there, and is not counted as
        # completed (only finished work counts toward progression, test_coaching).
        done = [e for e in run.events if isinstance(e, SetDone)]
        assert [(e.exercise, e.completed) for e in done] == [("plank", False)], run.story()
        assert done[0].seconds < 20, done
        obeyed.append(say(room, run, spoken("skip this"), "skip"))
        assert run.wait_for(state_is(State.HOLDING), timeout=40), run.story()  # bird dog
        time.sleep(1.5)  # a beat after the coach's "Hold."
        obeyed.append(say(room, run, spoken("too painful"), "pain"))
        assert run.wait_for(lambda e: len([x for x in e if isinstance(x, RoutineStarted)]) > 1, 5)
        started = [e.routine for e in run.events if isinstance(e, RoutineStarted)]
        assert started == ["quick", "gentle-stretches"]
        assert run.wait_for(state_is(State.HOLDING), timeout=60), run.story()  # gentle stretch
        time.sleep(1.5)
        obeyed.append(say(room, run, spoken("end workout"), "end"))
        ended = run.wait_for(lambda e: any(isinstance(x, SessionEnded) for x in e), timeout=10)
        assert ended, run.story()
    # Exactly what was said was obeyed, and nothing while the test was quiet (the coach never
    # obeyed its own voice). A person whose command is misheard says it again: one misheard
    # try is allowed in the whole run, and counted (CI once obeyed "help" for "end workout").
    assert run.heard_unprompted() == [], run.story()
    assert run.heard() == [c for tries in obeyed for c in tries], run.story()
    assert [tries[-1] for tries in obeyed] == ["pause", "resume", "next", "skip", "pain", "end"]
    assert sum(len(tries) - 1 for tries in obeyed) <= 1, obeyed
    # the coach was heard in the room
    assert max(abs(chunk).max() for chunk in recorded) > 3000
    # each command heard had its chime, and then its answer
    played = [p.text for p in run.output.played()]
    chimes = [i for i, text in enumerate(played) if text == CHIME]
    assert len(chimes) == len(run.heard()), played
    assert all(played[i + 1 : i + 2] not in ([], [CHIME]) for i in chimes), played


@pytest.mark.parametrize("device", ["mic", "speaker"])
def test_unplugging_a_device_pauses_and_replugging_resumes(room, device):
    with LiveRun("quick") as run:
        assert run.wait_for(state_is(State.HOLDING), timeout=40)
        room.unplug_mic() if device == "mic" else room.unplug_speaker()
        assert run.wait_for(state_is(State.PAUSED), timeout=15), run.events[-5:]
        time.sleep(2)
        room.plug_all()
        assert run.wait_for(lambda e: "resume" in run.from_devices(), timeout=20), run.events[-5:]
        assert run.session.state != State.PAUSED
        assert run.thread.is_alive()  # it never died
    # What the coach heard from the room is the drive test's subject; here only the devices count.
    assert run.from_devices() == ["pause", "resume"]


# Without echo cancellation (the default), the segmenter hears the person and the coach as one
# long segment and rejects it as conversation: 0 of 5 runs, 2 tries each (README, known gaps).
# Strict: the day it passes, this mark must go.
AS_IT_COMES = pytest.mark.xfail(reason="needs echo cancellation (README, known gaps)", strict=True)


@pytest.mark.parametrize(
    "echo_cancel",
    [pytest.param(False, marks=AS_IT_COMES), True],
    ids=["as-it-comes", "cancelled"],
)
def test_too_painful_said_over_the_coach_reading_instructions(room, spoken, echo_cancel):
    with LiveRun("quick", echo_cancel) as run:
        assert run.wait_for(lambda e: len(e) > 6 and run.session.state == State.SPEAKING, 30)
        say(room, run, spoken("too painful"), "pain", over_the_coach=True)  # twice if need be
        heard = run.heard()
    # Heard faintly the first time, the coach asks, and the second "too painful" answers it.
    assert heard in (["pain"], ["pain?", "pain"]), run.story()
