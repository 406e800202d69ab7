"""`voicecoach config`: the effective settings and where each came from; `path`; `init`."""

import argparse
import json
from pathlib import Path
from typing import Any

import yaml

from voicecoach.errors import UserError
from voicecoach.settings import FIELDS, Settings, config_path, env_name, load_settings


def register(sub: argparse._SubParsersAction) -> None:
    config = sub.add_parser(
        "config",
        help="show the settings and where each comes from",
        usage="voicecoach config [--json] [path | init]",
        description="Settings come from, lowest first: defaults, the config file, "
        "VOICECOACH_<SETTING> environment variables, then command-line options.",
    )
    config.add_argument("--json", action="store_true", help="print the settings as JSON")
    actions = config.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("path", help="print the config file's path")
    actions.add_parser("init", help="write a commented config file (never overwrites)")
    config.set_defaults(handler=run_config)


def run_config(args: argparse.Namespace) -> int:
    if args.action == "path":
        print(config_path())
        return 0
    if args.action == "init":
        return init_config(config_path())
    path = config_path()
    settings, sources = load_settings(path)
    print(as_json(settings, sources, path) if args.json else as_table(settings, sources, path))
    return 0


def as_table(settings: Settings, sources: dict[str, str], path: Path) -> str:
    state = "" if path.exists() else " (not found: run `voicecoach config init` to create it)"
    rows = [("setting", "value", "from", "meaning")]
    for field in FIELDS:
        source = "config file" if sources[field].startswith("config file") else sources[field]
        shown = _shown(getattr(settings, field))
        rows.append((field, shown, source, Settings.model_fields[field].description or ""))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(row[:3], widths, strict=True)), row[3]])
        for row in rows
    ]
    return "\n".join([f"config file: {path}{state}", "", *(line.rstrip() for line in lines)])


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def as_json(settings: Settings, sources: dict[str, str], path: Path) -> str:
    values = settings.model_dump(mode="json")
    report = {
        "config_file": str(path),
        "config_file_exists": path.exists(),
        "settings": {
            field: {
                "value": values[field],
                "source": sources[field],
                "env": env_name(field),
                "description": Settings.model_fields[field].description,
            }
            for field in FIELDS
        },
    }
    return json.dumps(report, indent=2)


def init_config(path: Path) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as file:  # "x": never overwrite, even in a race
            file.write(default_config_text())
    except FileExistsError:
        print(f"{path}: already exists, left unchanged")
        return 0
    except OSError as error:
        raise UserError(f"{path}: cannot write the config file ({error.strerror})") from None
    print(f"{path}: written (every setting is commented out: remove the # to change one)")
    return 0


def default_config_text() -> str:
    """Every setting with its meaning and its default, commented out, so defaults still apply."""
    lines = [
        "# VoiceCoach settings. Lowest first: defaults, this file, VOICECOACH_<SETTING>",
        "# environment variables, command-line options. See them all: voicecoach config",
    ]
    defaults = Settings().model_dump(mode="json")
    for field in FIELDS:
        value = defaults[field]
        entry = f"{field}:" if value is None else yaml.safe_dump({field: value}).strip()
        lines += ["", f"# {Settings.model_fields[field].description}", f"# {entry}"]
    return "\n".join(lines) + "\n"
