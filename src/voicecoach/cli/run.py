"""`voicecoach run ROUTINE`: a coaching session, live or in text mode."""

import argparse
import json
import sys
import threading
from typing import TextIO

from voicecoach.coach.clock import RealClock
from voicecoach.coach.driver import INPUT_CLOSED, Driver, Heard
from voicecoach.coach.events import Event, Say
from voicecoach.coach.session import Session
from voicecoach.errors import UserError
from voicecoach.routines import load_library
from voicecoach.speech.commands import command_for, help_text


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="run a workout session")
    run.add_argument("routine", help="routine id (see `voicecoach routines`) or YAML file")
    run.add_argument(
        "--text",
        action="store_true",
        help="print what the coach says; read typed commands from stdin",
    )
    run.add_argument("--json", action="store_true", help="with --text: one JSON event per line")
    run.add_argument(
        "--speed",
        type=positive_float,
        default=1.0,
        metavar="X",
        help="run time X times faster (text mode)",
    )
    run.set_defaults(handler=run_session)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above zero: {text!r}")
    return value


def run_session(args: argparse.Namespace) -> int:
    library = load_library()
    routine = library.routine(args.routine)
    if not args.text:
        raise UserError("live mode is not available yet: add --text")
    session = Session(library, routine, help_text=help_text())
    printer = json_printer if args.json else text_printer
    driver = Driver(session, RealClock(args.speed), printer)
    threading.Thread(target=read_commands, args=(sys.stdin, driver), daemon=True).start()
    driver.run()
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
    if isinstance(event, Say):
        minutes, seconds = divmod(int(event.t), 60)
        print(f"[{minutes:02d}:{seconds:02d}] {event.text}", flush=True)
