"""`voicecoach demo`: a whole short session in a simulated room, no audio hardware needed.

The coach's speech and a synthetic user's commands are mixed in session time into one "room"
track; the room is fed through the real recogniser block by block, exactly as a microphone
would be, and what it hears drives the real session engine. Out come the room as a WAV file
and a transcript of who said what, and what the coach heard.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicecoach.audio import SAMPLE_RATE
from voicecoach.audio.outputs import WavFileOutput, chime
from voicecoach.audio.wavio import resample, write_wav
from voicecoach.coach.events import Event, Say, SessionEnded, State, StateChanged
from voicecoach.coach.session import Session
from voicecoach.live import VoiceCache, Voiceover
from voicecoach.routines import Library
from voicecoach.settings import Settings
from voicecoach.speech.commands import help_text
from voicecoach.speech.listener import Judged, Listener
from voicecoach.speech.recognizer import Recognizer
from voicecoach.voices.speakers import Speaker

BLOCK_SECONDS = 0.1
USER_GAIN = 0.8  # the user is a little further from the microphone than the speaker
PATIENCE = 45.0  # seconds a line waits for its moment before it is said anyway
RETRY = 3.0  # seconds without an answer before the person says a command again ...
TRIES = 3  # ... up to this many times in all


@dataclass(frozen=True)
class Line:
    """The user says `phrase` `delay` seconds after the session next enters `state`."""

    state: State
    delay: float
    phrase: str


SCENARIO = (
    Line(State.HOLDING, 2.0, "pause"),
    Line(State.PAUSED, 2.5, "resume"),
    Line(State.HOLDING, 3.0, "next"),
    Line(State.RESTING, 3.0, "skip this"),
    Line(State.COUNTING, 2.0, "too painful"),
    Line(State.HOLDING, 3.0, "how many left"),
    Line(State.HOLDING, 4.0, "end workout"),
)


class Room:
    """The air of the room: the coach's track plus the user's, read back in session time."""

    def __init__(self, coach: WavFileOutput) -> None:
        self.coach = coach
        self.user = np.zeros(0, np.float32)

    def add_user(self, pcm: np.ndarray, at: float) -> None:
        start = round(at * SAMPLE_RATE)
        end = start + len(pcm)
        if end > len(self.user):
            self.user = np.pad(self.user, (0, end - len(self.user)))
        self.user[start:end] += pcm.astype(np.float32) * USER_GAIN

    def window(self, start: float, end: float) -> np.ndarray:
        a, b = round(start * SAMPLE_RATE), round(end * SAMPLE_RATE)
        mixed = _slice(self.coach.audio, a, b) + _slice(self.user, a, b)
        return np.clip(mixed, -32768, 32767).astype(np.int16)

    def coach_quiet(self, at: float, seconds: float = 0.5) -> bool:
        """The coach said nothing in the last `seconds` before `at`."""
        a = round((at - seconds) * SAMPLE_RATE)
        return not np.any(_slice(self.coach.audio, max(a, 0), round(at * SAMPLE_RATE)))

    def mixed(self) -> np.ndarray:
        return self.window(0, max(len(self.coach.audio), len(self.user)) / SAMPLE_RATE)


def _slice(track: np.ndarray, a: int, b: int) -> np.ndarray:
    part = track[a:b].astype(np.float32)
    return np.pad(part, (0, b - a - len(part)))


class Demo:
    """The scenario, with the user's settings (voice, tempo, recogniser, echo cancellation,
    chime) but not their history: a demo neither reads nor logs workouts."""

    def __init__(
        self,
        library: Library,
        routine: str,
        settings: Settings,
        recognizer: Recognizer,
        coach_voice: Speaker,
        user_voice: Speaker,
        out_dir: Path,
    ) -> None:
        self.voice = VoiceCache(coach_voice)
        self.user_voice = user_voice
        self.session = Session(library, library.routine(routine), self.voice.seconds,
                               tempo=settings.tempo, help_text=help_text())  # fmt: skip
        self.coach_track = WavFileOutput(out_dir / "voicecoach-demo-coach.wav")
        earcon = chime(volume=settings.volume) if settings.chime else None
        self.voiceover = Voiceover(self.voice, self.coach_track, earcon)
        self.room = Room(self.coach_track)
        self.listener = Listener(recognizer, self.coach_track, settings.echo_cancel,
                                 observers=(self._ignored,))  # fmt: skip
        self.out_dir = out_dir
        self.transcript: list[tuple[float, str, str]] = []
        self._script = list(SCENARIO)
        self._fire_at: float | None = None
        self._last_line = 60.0  # the first line waits for the first hold, at most this long
        self._unanswered: tuple[str, float, int] | None = None  # phrase, said until, tries

    def run(self, limit_seconds: float = 480) -> Path:
        now = 0.0
        self._deliver(self.session.start(now))
        while not self.session.finished and now < limit_seconds:
            end = now + BLOCK_SECONDS
            if self._script and self._fire_at is None and now - self._last_line > PATIENCE:
                self._fire_at = now  # a misheard command left the session elsewhere: carry on
            while (due := self.session.next_due()) is not None and due < end:
                self._deliver(self.session.advance(due))
            self._speak_user(end)
            self._say_again(now)
            for heard in self.listener.hear(self.room.window(now, end), now):
                self._note(end, "heard", f"{heard.text} -> {heard.command}")
                self._unanswered = None
                self._deliver(self.session.handle(heard.command, end, heard.text))
            now = end
        return self._write()

    def _ignored(self, judged: Judged) -> None:
        if not judged.obeyed:
            self._note(judged.event.end, "ignored", f"{judged.event.text} ({judged.why})")

    def _speak_user(self, before: float) -> None:
        if self._fire_at is not None and self._fire_at < before:
            phrase = self._script.pop(0).phrase
            self._say(phrase, self._fire_at, tries=1)
            self._last_line = self._fire_at
            self._fire_at = None

    def _say_again(self, now: float) -> None:
        """A person whose command gets no answer says it again, as a person would: once the
        coach is quiet (talking over it needs echo cancellation, experimental)."""
        if self._unanswered is None:
            return
        phrase, until, tries = self._unanswered
        if now - until > RETRY and self.room.coach_quiet(now):
            self._unanswered = None
            if tries < TRIES:
                self._say(phrase, now, tries + 1)

    def _say(self, phrase: str, at: float, tries: int) -> None:
        pcm, rate = self.user_voice.render(phrase)
        pcm = resample(pcm, rate, SAMPLE_RATE)  # Piper speaks at 22.05 kHz
        self.room.add_user(pcm, at)
        self._note(at, "you", phrase if tries == 1 else f"{phrase} (again)")
        self._unanswered = (phrase, at + len(pcm) / SAMPLE_RATE, tries)

    def _deliver(self, events: list[Event]) -> None:
        for event in events:
            self.voiceover.play(event)
            if isinstance(event, Say):
                self._note(event.t, "coach", event.text)
            elif isinstance(event, StateChanged):
                self._schedule(event)
            elif isinstance(event, SessionEnded):
                self._note(event.t, "end", event.reason)

    def _schedule(self, event: StateChanged) -> None:
        waiting = self._fire_at is not None or self._unanswered is not None
        if self._script and not waiting and event.state == self._script[0].state:
            self._fire_at = event.t + self._script[0].delay

    def _note(self, t: float, who: str, text: str) -> None:
        self.transcript.append((t, who, text))

    def _write(self) -> Path:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        wav = self.out_dir / "voicecoach-demo.wav"
        write_wav(wav, self.room.mixed())
        lines = [
            f"[{int(t // 60):02d}:{t % 60:05.2f}] {who:>7}: {text}"
            for t, who, text in sorted(self.transcript, key=lambda row: row[0])
        ]
        (self.out_dir / "voicecoach-demo.txt").write_text("\n".join(lines) + "\n")
        return wav
