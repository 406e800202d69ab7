"""`voicecoach` command line. Each sub-module registers its own sub-commands."""

import argparse
import os
import signal
import sys
from collections.abc import Sequence

from voicecoach import __version__
from voicecoach.cli import config, history, listen, model, routines, run, serve, service, speech
from voicecoach.errors import UserError
from voicecoach.memory import limit_arenas
from voicecoach.signals import Stopped, stop_on_signals

SIGPIPE_STATUS = 128 + signal.SIGPIPE
MODULES = (routines, run, serve, speech, listen, model, history, config, service)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voicecoach", description="Offline, hands-free, voice-guided lower-back workouts."
    )
    parser.add_argument("--version", action="version", version=f"voicecoach {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    limit_arenas()
    try:
        with stop_on_signals():
            status = args.handler(args) or 0
            sys.stdout.flush()  # here, so that a reader gone away is caught below
            return status
    except UserError as error:
        print(f"voicecoach: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except Stopped as stop:
        return 128 + stop.signum
    except BrokenPipeError:
        # The reader of our output went away (`voicecoach routines | head -1`): stop quietly
        # with the status of a command-line tool killed by SIGPIPE.
        _discard_stdout()
        return SIGPIPE_STATUS


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
