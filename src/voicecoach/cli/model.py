"""`voicecoach model download|install|status`: the optional Vosk model."""

import argparse
from pathlib import Path

from voicecoach.errors import UserError
from voicecoach.speech.vosk.model import (
    SMALL_EN_US,
    LocationStatus,
    default_dest,
    download_model,
    find_model,
    install_model,
    is_model_dir,
    model_status,
    supports_grammar,
)

NETWORK_NOTE = (
    "This is the only command that uses the network; everything else runs offline. "
    "To stay offline, fetch the zip on another machine and run: voicecoach model install ZIP"
)
DEST_HELP = "folder to unpack into (default: the checkout's models/vosk, else the user data dir)"


def register(sub: argparse._SubParsersAction) -> None:
    model = sub.add_parser("model", help="download, install or look for the Vosk model (optional)")
    actions = model.add_subparsers(dest="model_action", required=True, metavar="ACTION")

    download = actions.add_parser(
        "download",
        help=f"download {SMALL_EN_US.name} (about 40 MB; the one command that goes online)",
        description=f"Download {SMALL_EN_US.name} (about 40 MB) from {SMALL_EN_US.url}. "
        f"{NETWORK_NOTE}",
    )
    download.add_argument("--dest", type=Path, metavar="DIR", help=DEST_HELP)
    download.add_argument("--quiet", action="store_true", help="no progress bar")
    download.set_defaults(handler=run_download)

    install = actions.add_parser("install", help="install a model zip copied here by hand")
    install.add_argument("zip", type=Path, metavar="ZIP")
    install.add_argument("--dest", type=Path, metavar="DIR", help=DEST_HELP)
    install.add_argument(
        "--no-verify",
        action="store_true",
        help="install a zip whose checksum voicecoach does not know, unchecked",
    )
    install.set_defaults(handler=run_install)

    status = actions.add_parser("status", help="say which model is installed where")
    status.add_argument("--model", type=Path, metavar="DIR", help="a model folder to check too")
    status.set_defaults(handler=run_status)


def run_download(args: argparse.Namespace) -> int:
    dest = args.dest or default_dest()
    if is_model_dir(dest / SMALL_EN_US.name):
        print(f"Already installed: {dest / SMALL_EN_US.name}")
        return 0
    print(f"Downloading {SMALL_EN_US.url} into {dest}")
    print("(the only VoiceCoach command that uses the network)")
    path = download_model(dest, progress=not args.quiet)
    print(f"Vosk model ready: {path}")
    return 0


def run_install(args: argparse.Namespace) -> int:
    if args.no_verify:
        print(f"{args.zip}: installing WITHOUT checksum verification (--no-verify)")
    path = install_model(args.zip, args.dest, verify=not args.no_verify)
    print(f"Vosk model ready: {path}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    statuses = model_status(args.model)
    print("Vosk model search order:")
    for number, status in enumerate(statuses, 1):
        print(f"  {number}. {status.location.source}: {describe(status)}")
    in_use = _find_or_none(args.model)
    if in_use is None:
        print(
            "In use: none. Get one: voicecoach model download "
            "(or, offline: voicecoach model install ZIP)"
        )
    else:
        print(f"In use: {in_use}")
    return 0


def describe(status: LocationStatus) -> str:
    path = status.location.path
    if path is None:
        return "not set"
    if status.problem:
        return status.problem
    if not status.models:
        return f"{path}: no model"
    names = ", ".join(_model_name(model, path) for model in status.models)
    return f"{path}: {names}"


def _model_name(model: Path, folder: Path) -> str:
    name = "." if model == folder else model.name
    kind = "command grammar" if supports_grammar(model) else "static graph, no grammar"
    return f"{name} ({kind})"


def _find_or_none(explicit: Path | None) -> Path | None:
    try:
        return find_model(explicit)
    except UserError:  # already shown in the search order
        return None
