"""Speech that is not a command: real read speech, short real phrases, real exclamations and
grunts, the coach's own lines, synthetic chatter."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import soxr
import yaml

from bench.tts import Voice, render
from voicecoach.audio.wavio import read_wav

TESTDATA = Path("/usr/share/pocketsphinx/test/data")
# alsa-utils' channel-test recordings: a person saying "Front left", "Rear center", "Noise"...
# Short phrases said alone, as commands are: the segmenter's length and pause rules, which turn
# away read sentences, cannot turn these away.
ALSA_SOUNDS = Path("/usr/share/sounds/alsa")
# Hedgewars' voice lines (hedgewars-data): people shouting, grunting and exclaiming ("Ow",
# "Oof", "Hmm", "Bye bye", "Leave me alone") in ten English voices. Someone exercising makes
# sounds like these between commands. Robot is left out (a processed voice), as are the packs in
# other languages.
HEDGEWARS_VOICES = Path("/usr/share/games/hedgewars/Data/Sounds/voices")
ENGLISH_PACKS = (
    "British", "Classic", "Default", "Default_uk", "HillBilly",
    "Mobster", "Pirate", "Russian", "Singer", "Surfer",
)  # fmt: skip
ROUTINES = Path(__file__).resolve().parent.parent / "routines"
SPEEDS = (1.0, 0.9, 1.1)  # speed perturbation triples the little real speech there is

# Ordinary talk in a living room, some of it full of command words.
CHATTER = (
    "I think I will go back to the kitchen and make some tea before we continue.",
    "Could you turn the radio down a little, it is far too loud in here.",
    "My neighbour said the weather is going to be lovely all week long.",
    "We should start thinking about what to cook for dinner tonight.",
    "The children were so tired after school that they went straight to bed.",
    "Did you see the news this morning about the new train station?",
    "I am not sure whether the shop on the corner is still open on Sundays.",
    "Honestly my back has been much better since I started doing these exercises.",
    "She told me that she would call again later this afternoon.",
    "Let's wait and see what the doctor says about it next week.",
    "There is a parcel for you on the table in the hall.",
    "Remember to water the plants while I am away on holiday.",
    "The football match was postponed because of the heavy rain.",
    "I was reading a book about the history of the old castle.",
    "Can you help me carry these bags up the stairs please?",
    "It hurts a bit when I sit at my desk for too long.",
    "We need to finish painting the fence before the winter comes.",
    "Slow and steady wins the race, as my grandmother used to say.",
)


def real_speech_clips() -> list[tuple[str, str, np.ndarray]]:
    """Every recording of human speech in pocketsphinx-testdata, at three speeds."""
    return _at_speeds(real_speech_files())


def short_phrase_clips() -> list[tuple[str, str, np.ndarray]]:
    """The short phrases of alsa-utils' speaker test, at three speeds ([] if not installed)."""
    return _at_speeds(sorted(ALSA_SOUNDS.glob("*.wav")))


def exclamation_clips() -> list[tuple[str, str, np.ndarray]]:
    """Hedgewars' English voice lines, each once ([] if hedgewars-data is not installed)."""
    return [
        (path.stem, pack, read_ogg(path))
        for pack in ENGLISH_PACKS
        for path in sorted((HEDGEWARS_VOICES / pack).glob("*.ogg"))
    ]


def read_ogg(path: Path) -> np.ndarray:
    """An Ogg Vorbis file as 16 kHz mono int16, decoded by sox."""
    command = ["sox", str(path), "-t", "raw", "-r", "16000", "-c", "1", "-b", "16"]
    raw = subprocess.run([*command, "-e", "signed-integer", "-"], capture_output=True, check=True)
    return np.frombuffer(raw.stdout, "<i2")


def _at_speeds(paths: list[Path]) -> list[tuple[str, str, np.ndarray]]:
    """Each recording (WAV, or raw 16 kHz int16), read once, at each of SPEEDS."""
    clips = []
    for path in paths:
        pcm = read_wav(path) if path.suffix == ".wav" else np.fromfile(path, "<i2")
        clips += [(path.stem, f"x{speed}", _speed(pcm, speed)) for speed in SPEEDS]
    return clips


def real_speech_files() -> list[Path]:
    files = sorted(TESTDATA.glob("librivox/*.wav")) + sorted(TESTDATA.glob("cards/*.wav"))
    raws = ["goforward.raw", "numbers.raw", "something.raw", "tidigits/dhd.2934z.raw"]
    return files + [TESTDATA / raw for raw in raws if (TESTDATA / raw).exists()]


def chatter_clips(voices: tuple[Voice, ...]) -> list[tuple[str, str, np.ndarray]]:
    return [
        (text, voice.name, render(voice, text))
        for i, text in enumerate(CHATTER)
        for voice in voices[i % len(voices) :][:1]
    ]


def coach_clips(voice: Voice, routine: str) -> list[tuple[str, str, np.ndarray]]:
    return [(line, voice.name, render(voice, line)) for line in coach_lines(routine)]


def coach_lines(routine: str) -> list[str]:
    """What the coach says over a whole routine, from `voicecoach run --text` when it works."""
    command = [sys.executable, "-m", "voicecoach", "run", routine, "--text", "--json"]
    try:
        done = subprocess.run(
            [*command, "--speed", "1000"],
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        lines = [event["text"] for event in events if event.get("type") == "say"]
    except (subprocess.SubprocessError, json.JSONDecodeError, KeyError):
        lines = []
    return lines or _fallback_coach_lines()


def _fallback_coach_lines() -> list[str]:
    lines = []
    for path in sorted((ROUTINES / "exercises").glob("*.yaml"))[:4]:
        exercise = yaml.safe_load(path.read_text())
        lines += [exercise["name"], *exercise.get("instructions", [])]
        lines += ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
        lines += ["hold", "relax", "rest for thirty seconds", "switch sides", "set two of three"]
    return lines


def _speed(pcm: np.ndarray, speed: float) -> np.ndarray:
    if speed == 1.0:
        return pcm
    # Resampled, played at the original rate: tempo and pitch change together (sox speed).
    return soxr.resample(pcm.astype(np.float64), 16_000, 16_000 / speed).astype(np.int16)
