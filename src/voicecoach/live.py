"""A live session: microphone -> recogniser -> session engine -> speaker.

The engine knows nothing of audio and the audio knows nothing of routines: this module joins them.
"""

import sys
import threading
from collections.abc import Callable, Iterable
from functools import partial

import numpy as np

from voicecoach.audio import SAMPLE_RATE
from voicecoach.audio.microphone import Microphone
from voicecoach.audio.outputs import CHIME, CHIME_RATE, AudioOutput, chime
from voicecoach.coach.clock import Clock, RealClock
from voicecoach.coach.commands import Command
from voicecoach.coach.driver import Driver, Heard
from voicecoach.coach.events import CommandHeard, Event, Hush, Say
from voicecoach.coach.session import Session, estimate_speech_seconds
from voicecoach.errors import UserError
from voicecoach.history import HistoryStore
from voicecoach.routines import Library, Routine
from voicecoach.settings import Settings
from voicecoach.speech.listener import RETRY_SECONDS, Listener
from voicecoach.voices.speakers import Speaker
from voicecoach.workout import build_session, logged

MIC_LOST = (
    "I can no longer hear you: the microphone is disconnected. We are paused until it is back."
)
MIC_BACK = "The microphone is back. Let's carry on."
SPEAKER_LOST = "The speaker is disconnected. We are paused until it is back."
SPEAKER_BACK = "The speaker is back. Let's carry on."


class VoiceCache:
    """Rendered speech by text: the engine asks how long a line takes, the output plays it."""

    def __init__(self, speaker: Speaker) -> None:
        self.speaker = speaker
        self._rendered: dict[str, tuple[np.ndarray, int]] = {}
        self._lock = threading.Lock()

    def get(self, text: str) -> tuple[np.ndarray, int]:
        with self._lock:
            if text not in self._rendered:
                self._rendered[text] = self._render(text)
            return self._rendered[text]

    def _render(self, text: str) -> tuple[np.ndarray, int]:
        """The line's audio; a voice that fails twice gives silence, never a stopped session."""
        for attempt in range(2):
            try:
                return self.speaker.render(text)
            except UserError as error:
                if attempt:
                    print(f"voicecoach: {error}; the line {text!r} stays silent", file=sys.stderr)
        return np.zeros(round(estimate_speech_seconds(text) * SAMPLE_RATE), np.int16), SAMPLE_RATE

    def seconds(self, text: str) -> float:
        if not text:
            return 0.0
        pcm, rate = self.get(text)
        return len(pcm) / rate

    def warm(self, texts: Iterable[str]) -> threading.Thread:
        """Render lines in the background so that they are ready when their time comes."""
        lines = list(dict.fromkeys(texts))
        thread = threading.Thread(target=lambda: [self.get(t) for t in lines], daemon=True)
        thread.start()
        return thread


class Voiceover:
    """What a session's events sound like: its lines, cut off where it hushes, and `earcon` (at
    `CHIME_RATE`; None: none) as each spoken command is heard, before the answer."""

    def __init__(
        self, voice: VoiceCache, output: AudioOutput, earcon: np.ndarray | None = None
    ) -> None:
        self.voice = voice
        self.output = output
        self.earcon = earcon
        self._earcon_due = False

    def play(self, event: Event) -> None:
        if isinstance(event, CommandHeard):
            # After the Hush that follows (it would cut the earcon off), before the answer.
            self._earcon_due = self.earcon is not None and not event.text.startswith("(")
        elif isinstance(event, Say):
            self._play_earcon(event.t)
            pcm, rate = self.voice.get(event.text)
            self.output.play(pcm, rate, event.text, at=event.t)
        elif isinstance(event, Hush):
            self.output.stop(at=event.t)
            self._play_earcon(event.t)

    def _play_earcon(self, at: float) -> None:
        if self._earcon_due and self.earcon is not None:
            self.output.play(self.earcon, CHIME_RATE, CHIME, at=at)
        self._earcon_due = False


class LiveCoach:
    def __init__(
        self,
        session: Session,
        listener: Listener,
        voice: VoiceCache,
        output: AudioOutput,
        open_microphone: Callable[[], Microphone],
        on_event: Callable[[Event], None] = lambda event: None,
        clock: Clock | None = None,
        earcon: np.ndarray | None = None,
    ) -> None:
        self.session = session
        self.listener = listener
        self.voice = voice
        self.output = output
        self.open_microphone = open_microphone
        self.on_event = on_event
        self.driver = Driver(session, clock or RealClock(), self._deliver)
        self._stopping = threading.Event()
        self._paused_for_device = 0
        self.voiceover = Voiceover(voice, output, earcon)

    def run(self) -> None:
        self.voice.warm(cue.text for step in self.session.steps for cue in step.cues)
        threads = [
            threading.Thread(target=self._listen, name="voicecoach-listen", daemon=True),
            threading.Thread(target=self._watch_output, name="voicecoach-output", daemon=True),
        ]
        for thread in threads:
            thread.start()
        try:
            self.driver.run()
            self.output.wait(timeout=30)
        finally:
            self._stopping.set()
            for thread in threads:
                thread.join(timeout=5)

    def stop(self) -> None:
        """End the session from another thread (Ctrl-C, service stop)."""
        self.driver.inbox.put(Heard(Command.END, "(stopped)"))

    def _deliver(self, event: Event) -> None:
        self.voiceover.play(event)
        self.on_event(event)

    def _listen(self) -> None:
        """Tell the engine each command heard; pause while the microphone is gone."""
        heard = self.listener.listen(self.open_microphone, self._stopping, self._microphone)
        for events in heard:
            for event in events:
                self.driver.inbox.put(Heard(Command(event.command), event.text))

    def _microphone(self, error: UserError | None) -> None:
        if error is None:
            self._device_back(MIC_BACK)
        else:
            self._device_gone(str(error), MIC_LOST)

    def _watch_output(self) -> None:
        """Pause while the speaker fails to play; resume once a probe plays again."""
        while not self._stopping.wait(RETRY_SECONDS / 2):
            error = getattr(self.output, "error", None)
            if error is None:
                continue
            self._device_gone(str(error), SPEAKER_LOST)
            while not self._stopping.wait(RETRY_SECONDS):
                self.output.play(np.zeros(SAMPLE_RATE // 5, np.int16), SAMPLE_RATE)
                self.output.wait(timeout=10)
                if getattr(self.output, "error", None) is None:
                    self._device_back(SPEAKER_BACK)
                    break

    def _device_gone(self, why: str, line: str) -> None:
        print(f"voicecoach: {why}; retrying", file=sys.stderr)
        if self.session.paused_at is None and not self.session.finished:
            self._paused_for_device += 1
            self.driver.inbox.put(Heard(Command.PAUSE, "(device lost)", announce=line))

    def _device_back(self, line: str) -> None:
        print("voicecoach: audio device is back", file=sys.stderr)
        if self._paused_for_device:
            self._paused_for_device -= 1
            self.driver.inbox.put(Heard(Command.RESUME, "(device back)", announce=line))


def coach_live(
    library: Library,
    routine: Routine,
    settings: Settings,
    history: HistoryStore,
    show: Callable[[Event], None],
    voice: VoiceCache,
    output: AudioOutput,
    listener: Listener,
    started: Callable[[LiveCoach], None] = lambda coach: None,
) -> None:
    """One logged session with these devices; `started` gets the coach (to stop it)."""
    session = build_session(library, routine, settings, history, voice.seconds)
    with logged(history, session, show) as on_event:
        earcon = chime(volume=settings.volume) if settings.chime else None
        microphone = partial(Microphone, settings.input_device)
        coach = LiveCoach(session, listener, voice, output, microphone, on_event, earcon=earcon)
        started(coach)
        coach.run()
