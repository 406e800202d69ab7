"""`voicecoach run ROUTINE`: a coaching session, live or in text mode."""

import argparse
import io
import json
import sys
import threading
from typing import TextIO

from voicecoach.cli.routines import timed_line
from voicecoach.coach.clock import RealClock
from voicecoach.coach.driver import INPUT_CLOSED, Driver, Heard
from voicecoach.coach.events import CommandHeard, Event, Say
from voicecoach.routines import load_library
from voicecoach.settings import FIELDS, Settings, load_settings
from voicecoach.speech.commands import command_for
from voicecoach.speech.engines import ENGINES
from voicecoach.workout import build_session, logged, open_history


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="run a workout session")
    run.add_argument("routine", nargs="?", help="routine id or YAML file (default: config)")
    run.add_argument(
        "--text",
        action="store_true",
        help="print what the coach says; read typed commands from stdin",
    )
    run.add_argument("--json", action="store_true", help="one JSON event per line")
    run.add_argument(
        "--speed",
        type=positive_float,
        default=1.0,
        metavar="X",
        help="text mode: run time X times faster",
    )
    run.add_argument(
        "--no-progression",
        dest="progression",
        action="store_const",
        const=False,
        help="use the routine as written, without stepping dosages up or down",
    )
    add_setting_options(run)
    run.set_defaults(handler=run_session)


def add_recognition_options(parser: argparse.ArgumentParser) -> None:
    """The recogniser's options that override the config file (`run`, `listen`)."""
    parser.add_argument("--engine", choices=ENGINES, help="default: config, auto")
    parser.add_argument("--vosk-model", dest="vosk_model", metavar="DIR", help="Vosk model folder")
    parser.add_argument(
        "--second-opinion",
        dest="second_opinion",
        action=argparse.BooleanOptionalAction,
        help="PocketSphinx: have commands backed by Moonshine (default: config, on)",
    )
    parser.add_argument(
        "--echo-cancel",
        dest="echo_cancel",
        action=argparse.BooleanOptionalAction,
        help="experimental: cancel the coach's voice at the microphone (default: config, off)",
    )


def add_setting_options(parser: argparse.ArgumentParser) -> None:
    """Options that override the config file (see `voicecoach config`)."""
    add_workout_options(parser)
    parser.add_argument("--input-device", dest="input_device", metavar="DEVICE")
    parser.add_argument("--output-device", dest="output_device", metavar="DEVICE")


def add_workout_options(parser: argparse.ArgumentParser) -> None:
    """The config file's recogniser, voice and tempo, overridden (`run`, `serve`, `demo`).
    Unlike cli/speech's voice options, nothing here has a default of its own."""
    add_recognition_options(parser)
    parser.add_argument("--voice", help="espeak, espeak:VOICENAME, piper or pyttsx3")
    parser.add_argument("--rate", type=int, help="speaking rate, words per minute")
    parser.add_argument("--volume", type=float)
    parser.add_argument("--tempo", type=float, help="counting speed (2 = twice as fast)")


def settings_from(args: argparse.Namespace) -> Settings:
    given = {field: getattr(args, field, None) for field in FIELDS}
    return load_settings(overrides=given)[0]


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above zero: {text!r}")
    return value


def run_session(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    library = load_library()
    routine = library.routine(args.routine or settings.routine)
    show = json_printer if args.json else text_printer
    with open_history(settings) as history:
        if args.text:
            session = build_session(library, routine, settings, history)
            with logged(history, session, show) as on_event:
                driver = Driver(session, RealClock(args.speed), on_event)
                if isinstance(sys.stdin, io.TextIOWrapper):
                    sys.stdin.reconfigure(errors="replace")  # a stray byte is a typo, no crash
                reader = threading.Thread(target=read_commands, args=(sys.stdin, driver))
                reader.daemon = True
                reader.start()
                driver.run()
        else:
            from voicecoach.serve import run_live  # audio stack only when it is needed

            run_live(library, routine, settings, history, show)
    return 0


def read_commands(stream: TextIO, driver: Driver) -> None:
    """Typed commands, one per line; `@SECONDS phrase` applies a command at that session time."""
    for line in stream:
        at, text = parse_line(line)
        if not text:
            continue
        command = command_for(text)
        if command is None:
            print(f"voicecoach: not a command: {text!r} (try 'help')", file=sys.stderr)
            continue
        driver.inbox.put(Heard(command, text, at))
    driver.inbox.put(INPUT_CLOSED)


def parse_line(line: str) -> tuple[float | None, str]:
    text = line.strip()
    if text.startswith("@"):
        stamp, _, rest = text[1:].partition(" ")
        try:
            return float(stamp), rest.strip()
        except ValueError:
            pass
    return None, text


def json_printer(event: Event) -> None:
    print(json.dumps(event.to_json()), flush=True)


def text_printer(event: Event) -> None:
    if isinstance(event, Say | CommandHeard):
        text = event.text if isinstance(event, Say) else f"(heard: {event.text or event.command})"
        print(timed_line(event.t, text), flush=True)
