"""`voicecoach serve`: wait for "start workout", check in, coach the session, wait again.

Room-speaker mode for a Raspberry Pi nobody touches. While waiting it listens only for its cues
and says nothing; a chime tells that it heard one. `voicecoach run` with a microphone is one
turn of it: the check-in, then the workout (`run_live`).
"""

import sys
import threading
import time
from collections.abc import Callable
from contextlib import closing
from functools import partial

from voicecoach.audio.devices import check_device
from voicecoach.audio.microphone import Microphone
from voicecoach.audio.outputs import CHIME, CHIME_RATE, AudioOutput, SoundDeviceOutput, chime
from voicecoach.coach.events import Event, Say
from voicecoach.history import HistoryStore
from voicecoach.history.safety import SUGGESTED_ROUTINE as GENTLE
from voicecoach.history.safety import pain_streak
from voicecoach.live import VoiceCache, coach_live
from voicecoach.routines import Library, Routine
from voicecoach.settings import Settings
from voicecoach.speech import commands
from voicecoach.speech.commands import PhraseTable
from voicecoach.speech.engines import make_recognizer
from voicecoach.speech.listener import Listener, log_ignored
from voicecoach.speech.recognizer import Recognizer
from voicecoach.voices.speakers import Speaker, make_speaker
from voicecoach.workout import open_history

ANSWER_SECONDS = 12.0
QUESTION = "Before we start: how does your back feel today? No pain, a bit sore, or sharp pain?"
NOT_CAUGHT = "I did not catch that. Say start workout when you are ready."
SHARP = (
    "With sharp pain it is better not to train today. "
    "Would you like some gentle stretches instead? Yes or no?"
)
REST_TODAY = "All right. Rest today, and if the pain does not ease, see a doctor."
SORE = "A bit of soreness is fine to work with. We will go gently: tell me if anything hurts."
NO_PAIN = "Good. Let's begin."
OFFER_GENTLE = (
    "Your back hurt in each of your last two workouts, so today I will take you through "
    "{gentle} instead of {chosen}. If you would rather do {chosen}, say no."
)
KEEP_CHOSEN = "All right, {chosen}. Stop at once if anything hurts."


class Server:
    def __init__(
        self,
        library: Library,
        settings: Settings,
        output: AudioOutput,
        voice: VoiceCache,
        recognizer_for: Callable[[PhraseTable], Recognizer],
        on_event: Callable[[Event], None] = lambda event: None,
    ) -> None:
        self.library = library
        self.settings = settings
        self.output = output
        self.voice = voice
        self.recognizer_for = recognizer_for
        self.on_event = on_event
        self.state = "starting"
        self.wake = commands.wake_table({r.id: r.name for r in library.routines.values()})
        # One listener for the whole service: the echo guard keeps its learned gain throughout.
        self.listener = Listener(
            recognizer_for(self.wake), output, settings.echo_cancel, (log_ignored,)
        )
        self.microphone = partial(Microphone, settings.input_device)
        self._stopping = threading.Event()
        self._coach = None

    def run(self) -> None:
        while not self._stopping.is_set():
            self.state = "waiting"
            cue = self.hear(self.wake, timeout=None)
            if cue is None:
                continue
            self.ding()
            if cue == "list":
                self.say(self.list_text())
                continue
            routine_id = cue.partition(":")[2] or self.settings.routine
            self.once(self.library.routine(routine_id))

    def stop(self) -> None:
        self._stopping.set()
        if self._coach is not None:
            self._coach.stop()

    def once(self, routine: Routine, history: HistoryStore | None = None) -> None:
        """The check-in (unless the setting is off), the gentle routine offered after a streak
        of painful sessions, then the workout they lead to, if any."""
        if history is None:
            with open_history(self.settings) as history:
                return self.once(routine, history)
        chosen = self.check_in(routine) if self.settings.check_in else routine
        if chosen is not None and chosen.id != GENTLE and pain_streak(history):
            chosen = self.offer_gentle(chosen)
        if chosen is not None and not self._stopping.is_set():
            self.state = "session"
            self.run_session(chosen, history)

    def offer_gentle(self, routine: Routine) -> Routine | None:
        """The gentle routine instead of `routine`, unless the person says no."""
        gentle = self.library.routines[GENTLE]
        self.state = "check-in"
        answer = self.ask(
            OFFER_GENTLE.format(gentle=gentle.name, chosen=routine.name), commands.YES_NO
        )
        if self._stopping.is_set():
            return None
        if answer == "no":
            self.say(KEEP_CHOSEN.format(chosen=routine.name))
            return routine
        return gentle

    def check_in(self, routine: Routine) -> Routine | None:
        self.state = "check-in"
        answer = self.ask(QUESTION, commands.CHECK_IN, tries=2)
        if self._stopping.is_set():
            return None
        if answer is None:
            self.say(NOT_CAUGHT)
            return None
        if answer == "sharp":
            yes = self.ask(SHARP, commands.YES_NO) == "yes"
            if self._stopping.is_set():
                return None
            if yes:
                return self.library.routines[GENTLE]
            self.say(REST_TODAY)
            return None
        self.say(SORE if answer == "sore" else NO_PAIN)
        return routine

    def ask(self, question: str, table: PhraseTable, tries: int = 1) -> str | None:
        """Ask up to `tries` times; the answer, or None (none came, or the service is stopping:
        then nothing more is said)."""
        for _ in range(tries):
            if self._stopping.is_set():
                break
            self.say(question)
            if answer := self.hear(table, ANSWER_SECONDS):
                return answer
        return None

    def run_session(self, routine: Routine, history: HistoryStore) -> None:
        coach_live(
            self.library, routine, self.settings, history, self.on_event,
            self.voice, self.output, self._listening_for(commands.SESSION),
            started=self._started,
        )  # fmt: skip
        self._coach = None

    def _started(self, coach: object) -> None:
        self._coach = coach

    def list_text(self) -> str:
        names = [r.name for r in self.library.routines.values()]
        return f"Say start, then one of: {', '.join(names)}."

    def say(self, text: str) -> None:
        pcm, rate = self.voice.get(text)
        self.output.play(pcm, rate, text)
        self.on_event(Say(time.monotonic(), text, len(pcm) / rate))
        self.output.wait(timeout=len(pcm) / rate + 10)

    def ding(self) -> None:
        if self.settings.chime:
            self.output.play(chime(volume=self.settings.volume), CHIME_RATE, CHIME)
            self.output.wait(timeout=5)

    def hear(self, table: PhraseTable, timeout: float | None) -> str | None:
        """The first intent from `table` heard within `timeout` seconds (None: no limit)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        heard = self._listening_for(table).listen(self.microphone, self._stopping)
        with closing(heard):
            for events in heard:
                if events:
                    return events[0].command
                if deadline and time.monotonic() > deadline:
                    return None
        return None

    def _listening_for(self, table: PhraseTable) -> Listener:
        self.listener.use(self.recognizer_for(table))
        return self.listener


def speaker(settings: Settings) -> Speaker:
    """The coach's voice as the settings choose it."""
    return make_speaker(settings.voice, settings.rate, settings.volume)


def recognizers(settings: Settings) -> Callable[[PhraseTable], Recognizer]:
    """One recogniser per phrase table, built on first use and kept."""
    built: dict[str, Recognizer] = {}

    def recognizer_for(table: PhraseTable) -> Recognizer:
        if table.name not in built:
            built[table.name] = make_recognizer(
                settings.engine, settings.vosk_model, table, settings.second_opinion
            )
        return built[table.name]

    return recognizer_for


def run_live(
    library: Library,
    routine: Routine,
    settings: Settings,
    history: HistoryStore,
    show: Callable[[Event], None],
) -> None:
    """`voicecoach run` with a microphone and a speaker."""
    check_device(settings.input_device, "input")  # fail at once, naming the devices there are
    recognizer_for = recognizers(settings)
    print(f"voicecoach: listening with {recognizer_for(commands.SESSION).name}", file=sys.stderr)
    voice = VoiceCache(speaker(settings))
    with SoundDeviceOutput(settings.output_device) as output:
        Server(library, settings, output, voice, recognizer_for, show).once(routine, history)
