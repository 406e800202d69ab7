"""Commands said over the coach's instructions, with and without echo cancellation.

    PYTHONPATH=. python -m bench.barge_in [--under DB ...]      (about 4 minutes)

The coach (espeak-ng) reads a routine's instructions one after another; the room returns them
at a known delay with a short reverberation and a little noise; every 5 to 7 s a person (the
benchmark's flite and Piper voices) says a command over them, `--under` dB below the coach's
echo. Each stream goes through the recogniser and the echo guard, as the live path has them,
once as it came and once through the echo canceller. A command counts as heard right, misheard
(another command where it was said), or missed; anything else is a false command.
"""

import argparse
from collections import Counter

import numpy as np

from bench.evaluate import Score, score_commands
from bench.streams import Placed, Stream
from bench.tts import BENCH_VOICES, COACH_VOICES, Voice, available, render
from voicecoach.audio import SAMPLE_RATE
from voicecoach.audio.outputs import SilentOutput
from voicecoach.routines import load_library
from voicecoach.speech.engines import make_recognizer
from voicecoach.speech.listener import Listener
from voicecoach.speech.recognizer import CommandEvent

PHRASES = ("pause", "too painful", "next", "skip this", "resume", "repeat", "it hurts", "hold on")
ECHO_DELAY = 0.05  # seconds the echo comes after the output's record of it
BLOCK = SAMPLE_RATE // 10


def coach_reading(routine: str = "five-strengthening") -> SilentOutput:
    """The coach reading every instruction of `routine`, 0.4 s between lines."""
    library = load_library()
    output, at = SilentOutput(), 0.5
    for exercise, _, _ in library.steps(library.routine(routine)):
        for line in exercise.instructions:
            pcm = render(COACH_VOICES[0], line)
            output.play(pcm, SAMPLE_RATE, line, at=at)
            at += len(pcm) / SAMPLE_RATE + 0.4
    return output


def room_echo(output: SilentOutput, seconds: float) -> np.ndarray:
    played = output.played_audio(-ECHO_DELAY, round(seconds * SAMPLE_RATE)).samples
    response = np.zeros(round(0.05 * SAMPLE_RATE))
    response[[0, 37, 211, 530]] = [0.6, 0.2, -0.1, 0.05]
    return np.convolve(played.astype(np.float64), response)[: len(played)]


def say_over(
    echo: np.ndarray, voice: Voice, under_db: float, seed: int
) -> tuple[np.ndarray, list[Placed]]:
    """The room with a person saying commands over the coach, and what they said where."""
    rng = np.random.default_rng(seed)
    mic = echo + rng.normal(0, 30, len(echo))
    said, at, n = [], 4.0, 0
    while at < len(echo) / SAMPLE_RATE - 3:
        phrase = PHRASES[n % len(PHRASES)]
        person = render(voice, phrase).astype(np.float64)
        start = round(at * SAMPLE_RATE)
        there = echo[start : start + len(person)]
        level = np.sqrt(np.mean(there**2)) if there.any() else 1000.0
        gain = level / np.sqrt(np.mean(person**2)) * 10 ** (-under_db / 20)
        mic[start : start + len(person)] += person * gain
        said.append(Placed(phrase, voice.name, at, at + len(person) / SAMPLE_RATE))
        at, n = at + rng.uniform(5.3, 6.8), n + 1
    return np.clip(mic, -32768, 32767).astype(np.int16), said


def listen(mic: np.ndarray, output: SilentOutput, cancel: bool) -> list[CommandEvent]:
    """The commands the live path would obey, each judged when it is emitted."""
    listener = Listener(make_recognizer("pocketsphinx"), output, echo_cancel=cancel)
    heard = []
    for i in range(0, len(mic), BLOCK):
        heard += listener.hear(mic[i : i + BLOCK], i / SAMPLE_RATE)
    return heard + listener.flush()


def score(heard: list[CommandEvent], said: list[Placed], mic: np.ndarray) -> Score:
    result = Score("commands", len(mic) / SAMPLE_RATE, 0.0)
    stream = Stream("barge-in", mic, tuple(said), 0.0)
    score_commands(result, stream, [(event, event.emitted_at) for event in heard])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--under", type=float, nargs="+", default=[0.0, 6.0])
    args = parser.parse_args()
    output = coach_reading()
    seconds = output.played()[-1].end + 1.0
    echo = room_echo(output, seconds)
    voices = [v for v in available(BENCH_VOICES) if not v.name.startswith("espeak")]
    print(f"coach: {seconds:.0f} s of instructions; people: {', '.join(v.name for v in voices)}")
    for under in args.under:
        totals = {False: Counter(), True: Counter()}
        for seed, voice in enumerate(voices):
            mic, said = say_over(echo, voice, under, seed)
            for cancel, total in totals.items():
                result = score(listen(mic, output, cancel), said, mic)
                total.update(
                    right=result.correct, misheard=result.substitutions, missed=result.misses,
                    false=result.false_commands, said=result.utterances,
                )  # fmt: skip
        for cancel, total in totals.items():
            label = "echo cancelled" if cancel else "as it came"
            counts = ", ".join(f"{k} {total[k]}" for k in ("right", "misheard", "missed", "false"))
            print(f"{under:4.0f} dB under the coach, {label:15}: {counts} of {total['said']}")


if __name__ == "__main__":
    main()
