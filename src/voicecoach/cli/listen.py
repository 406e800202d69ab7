"""`voicecoach listen`: print the commands heard in a WAV file or from the microphone."""

import argparse
import json
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from voicecoach.audio import SAMPLE_RATE
from voicecoach.audio.outputs import SilentOutput
from voicecoach.audio.wavio import wav_blocks
from voicecoach.cli.run import add_recognition_options, settings_from
from voicecoach.errors import UserError
from voicecoach.speech.engines import make_recognizer
from voicecoach.speech.listener import Listener, log_ignored
from voicecoach.speech.recognizer import CommandEvent


def register(sub: argparse._SubParsersAction) -> None:
    listen = sub.add_parser(
        "listen", help="print the voice commands heard (engine and microphone: config, or these)"
    )
    listen.add_argument(
        "--wav", type=Path, metavar="FILE", help="a WAV file instead of the microphone"
    )
    listen.add_argument(
        "--played",
        type=Path,
        metavar="FILE",
        help="with --wav: what the speaker played meanwhile (from the same moment), so the "
        "coach's own voice is told apart as live",
    )
    add_recognition_options(listen)
    listen.add_argument(
        "--input-device",
        "--device",
        dest="input_device",
        metavar="DEVICE",
        help="input device name or number (default: config, the system's)",
    )
    listen.add_argument("--json", action="store_true", help="one JSON object per command")
    listen.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.played is not None and args.wav is None:
        raise UserError("--played needs --wav: it is what was played while that file was recorded")
    settings = settings_from(args)
    recognizer = make_recognizer(
        settings.engine, settings.vosk_model, second_opinion=settings.second_opinion
    )
    print(f"voicecoach: listening with {recognizer.name}", file=sys.stderr)
    output = SilentOutput()
    listener = Listener(recognizer, output, settings.echo_cancel, (log_ignored,))
    if args.wav is not None:
        played = None if args.played is None else _PlayedAhead(output, args.played)
        _print_all(_hear_file(listener, wav_blocks(args.wav), played), args.json)
        return 0
    from voicecoach.audio.devices import check_device
    from voicecoach.audio.microphone import Microphone

    check_device(settings.input_device, "input")  # fail at once, naming the devices there are
    heard = listener.listen(lambda: Microphone(settings.input_device), threading.Event())
    _print_all((event for events in heard for event in events), args.json)
    return 0


class _PlayedAhead:
    """The --played file, fed to the output in parts while the recording is heard, ahead of it
    by LEAD seconds: the echo guard and canceller look a little ahead of the audio they hear
    (the guard up to its search, 0.35 s; the canceller by the echo's delay) and back less than
    the output keeps (10 s of audio). Only those few seconds are held in memory."""

    LEAD = 5.0

    def __init__(self, output: SilentOutput, played: Path) -> None:
        self.output = output
        self.blocks = wav_blocks(played, block=SAMPLE_RATE)  # fewer parts for the output to keep
        output.play(np.zeros(0, np.int16), SAMPLE_RATE, "(played)", at=0.0)
        self.fed = 0  # samples

    def until(self, t: float) -> None:
        """Feed the output up to LEAD seconds past `t` (or to the file's end)."""
        while self.fed < (t + self.LEAD) * SAMPLE_RATE:
            block = next(self.blocks, None)
            if block is None:
                return
            self.output.play_on(block)
            self.fed += len(block)


def _hear_file(
    listener: Listener, blocks: Iterator[np.ndarray], played: _PlayedAhead | None
) -> Iterable[CommandEvent]:
    heard = 0  # samples
    for block in blocks:
        if played is not None:
            played.until(heard / SAMPLE_RATE)
        yield from listener.hear(block, heard / SAMPLE_RATE)
        heard += len(block)
    yield from listener.flush()


def _print_all(events: Iterable[CommandEvent], as_json: bool) -> None:
    for event in events:
        if as_json:
            print(json.dumps(event.to_json()), flush=True)
        else:
            print(f"{event.start:7.2f}s  {event.command:<9} {event.text!r}", flush=True)
