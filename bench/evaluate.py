"""Run one recogniser over one stream and score what it emitted against the truth."""

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bench.procfs import memory_mb, reset_peak
from bench.streams import RATE, Placed, Stream
from voicecoach.audio.outputs import SilentOutput
from voicecoach.speech.commands import command_for
from voicecoach.speech.listener import Judged, Listener
from voicecoach.speech.moonshine.second_opinion import unsure
from voicecoach.speech.recognizer import CommandEvent, Recognizer

BLOCK = 480  # samples per feed: 30 ms, a typical microphone block
SLACK = 0.3  # seconds an event may stick out of its utterance and still belong to it


@dataclass
class Score:
    kind: str  # "commands" or a kind of negatives
    audio_seconds: float
    cpu_seconds: float
    utterances: int = 0
    correct: int = 0
    substitutions: int = 0
    misses: int = 0
    false_commands: int = 0  # events that belong to no command utterance
    asked: int = 0  # substitutions that were the coach asking about what was said ("pain?")
    # The coach's own speech: false commands the live path's echo guard would still obey.
    guarded_false: int | None = None
    latencies: list[float] = field(default_factory=list)
    by_voice: dict[str, list[int]] = field(default_factory=dict)  # voice -> [correct, said]
    by_command: dict[str, list[int]] = field(default_factory=dict)  # command -> [correct, said]
    errors: list[str] = field(default_factory=list)
    peak_added_mb: float = 0.0  # the most memory the recogniser (models, work) added


def run(make: Callable[[], Recognizer], stream: Stream, audio: np.ndarray, kind: str) -> Score:
    """Hear `audio` through the live path's Listener. For the coach's own speech, each line is
    played (recorded by a silent output) when its time comes, so the echo guard judges each
    event when it is emitted, as live; an idealised room: the echo arrives on time at full level
    (the PulseAudio tests cover late streams and underflows)."""
    # The worker's own peak came from mixing noise into whole streams (4 GB): measure from here.
    reset_peak()
    before = memory_mb(os.getpid(), "VmRSS")
    output = SilentOutput()
    judged: list[Judged] = []
    listener = Listener(make(), output, observers=(judged.append,))
    lines = sorted(stream.placed, key=lambda placed: placed.start) if kind == "coach" else []
    timed: list[tuple[Judged, float]] = []  # each verdict and when it was out (stream time)
    cpu = time.process_time()
    busy_until = 0.0
    for i in range(0, len(audio), BLOCK):
        start, end = i / RATE, (i + BLOCK) / RATE
        while lines and lines[0].start < end:
            line = lines.pop(0)
            clip = stream.audio[round(line.start * RATE) : round(line.end * RATE)]
            output.play(clip, RATE, line.text, at=line.start)
        # As live: a block can be worked on once it has arrived and the previous one is done, so
        # a slow block delays the next ones too.
        wall, seen = time.perf_counter(), len(judged)
        listener.hear(audio[i : i + BLOCK], start)
        busy_until = max(end, busy_until) + time.perf_counter() - wall
        timed += [(verdict, busy_until) for verdict in judged[seen:]]
    seen = len(judged)
    listener.flush()
    timed += [(j, max(busy_until, j.event.emitted_at)) for j in judged[seen:]]
    score = Score(kind, len(audio) / 16_000, time.process_time() - cpu)
    score.peak_added_mb = memory_mb(os.getpid(), "VmHWM") - before
    if kind == "commands":
        score_commands(score, stream, [(j.event, t) for j, t in timed if j.obeyed])
    else:
        score.false_commands = len(timed)
        score.errors = [f"{j.event.start:.1f}s {j.event.text!r}" for j, _ in timed]
    if kind == "coach":
        obeyed = [j.event for j, _ in timed if j.obeyed]
        score.guarded_false = len(obeyed)
        score.errors += [f"{e.start:.1f}s {e.text!r} past the echo guard" for e in obeyed]
    return score


def belongs_to(event: CommandEvent | Placed, said: Placed) -> bool:
    """Whether `event` (or any span of the stream) came while `said` was spoken, give or take
    SLACK."""
    return event.start < said.end + SLACK and event.end > said.start - SLACK


def score_commands(score: Score, stream: Stream, timed: list[tuple[CommandEvent, float]]) -> None:
    """Match each event (with when it was out) to the command said where it came: correct,
    substitution or miss; events matching none are false commands."""
    used: set[int] = set()
    for truth in stream.placed:
        score.utterances += 1
        said = command_for(truth.text)
        tallies = (
            score.by_voice.setdefault(truth.voice, [0, 0]),
            score.by_command.setdefault(str(said), [0, 0]),
        )
        for tally in tallies:
            tally[1] += 1
        match = next(
            (i for i, (event, _) in enumerate(timed) if i not in used and belongs_to(event, truth)),
            None,
        )
        if match is None:
            score.misses += 1
            score.errors.append(f"miss {truth.text!r} ({truth.voice})")
            continue
        used.add(match)
        event, out_at = timed[match]
        if event.command == said:
            score.correct += 1
            for tally in tallies:
                tally[0] += 1
            score.latencies.append(out_at - truth.end)
        else:
            score.substitutions += 1
            score.asked += event.command == unsure(str(said))
            score.errors.append(f"sub {truth.text!r} -> {event.text!r} ({truth.voice})")
    score.false_commands = len(timed) - len(used)
