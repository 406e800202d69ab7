"""`voicecoach listen`: print the commands heard in a WAV file or from the microphone."""

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from voicecoach.cli.run import add_recognition_options, settings_from
from voicecoach.speech.engines import make_recognizer
from voicecoach.speech.recognizer import SAMPLE_RATE, CommandEvent, recognize_stream
from voicecoach.speech.wavio import read_wav

WAV_BLOCK = SAMPLE_RATE // 10  # a WAV file is fed in 100 ms blocks, like the microphone's


def register(sub: argparse._SubParsersAction) -> None:
    listen = sub.add_parser(
        "listen", help="print the voice commands heard (engine and microphone: config, or these)"
    )
    listen.add_argument(
        "--wav", type=Path, metavar="FILE", help="a WAV file instead of the microphone"
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
    settings = settings_from(args)
    recognizer = make_recognizer(
        settings.engine, settings.vosk_model, second_opinion=settings.second_opinion
    )
    print(f"voicecoach: listening with {recognizer.name}", file=sys.stderr)
    if args.wav is not None:
        _print_all(recognize_stream(recognizer, _wav_blocks(read_wav(args.wav))), args.json)
        return 0
    from voicecoach.speech.audio import Microphone

    with Microphone(settings.input_device) as microphone:
        _print_all(recognize_stream(recognizer, microphone), args.json)
    return 0


def _wav_blocks(pcm: np.ndarray) -> Iterable[np.ndarray]:
    return (pcm[i : i + WAV_BLOCK] for i in range(0, len(pcm), WAV_BLOCK))


def _print_all(events: Iterable[CommandEvent], as_json: bool) -> None:
    for event in events:
        if as_json:
            print(json.dumps(event.to_json()), flush=True)
        else:
            print(f"{event.start:7.2f}s  {event.command:<9} {event.text!r}", flush=True)
