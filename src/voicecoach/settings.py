"""User settings: one model, and where each value came from.

Precedence, lowest first: defaults < config file < VOICECOACH_<FIELD> environment < command line.
"""

import difflib
import os
import re
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from voicecoach import yamlfile
from voicecoach.errors import UserError
from voicecoach.files import MissingFile
from voicecoach.speech.engines import Engine

CONFIG_ENV = "VOICECOACH_CONFIG"
ENV_PREFIX = "VOICECOACH_"
DEFAULT = "default"
COMMAND_LINE = "command line"


def _no_bool(value: Any) -> Any:
    # YAML reads yes/on/true as a boolean; where a number belongs that is a slip, not 1.
    if isinstance(value, bool):
        raise ValueError(f"expected a number, not {str(value).lower()}")
    return value


def _device(value: Any) -> Any:
    if value is None or (isinstance(value, str | int) and not isinstance(value, bool)):
        return value
    raise ValueError("expected a device name or number (see `voicecoach devices`)")


def _path(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise ValueError("expected a path, not an empty string")
    return value


def _expand(path: Path | None) -> Path | None:
    return path.expanduser() if path else None


def _voice(value: str) -> str:
    kind, colon, name = value.partition(":")
    if value == "piper" or (kind in ("espeak", "pyttsx3") and (not colon or name)):
        return value
    raise ValueError("expected espeak, espeak:VOICENAME (e.g. espeak:en-gb), piper or pyttsx3")


Number = BeforeValidator(_no_bool)
Device = Annotated[str | int | None, BeforeValidator(_device)]
OptionalPath = Annotated[Path | None, BeforeValidator(_path), AfterValidator(_expand)]


class Settings(BaseModel):
    """Every user setting, its default and its limits: the single source of truth."""

    model_config = ConfigDict(extra="forbid")

    routine: str = Field(
        "five-strengthening",
        min_length=1,
        description='routine that "start workout" runs (an id from `voicecoach routines`)',
    )
    engine: Engine = Field(
        "auto",
        description="speech recogniser: auto (Vosk when a model is installed), pocketsphinx, vosk",
    )
    second_opinion: bool = Field(
        True,
        description="PocketSphinx: have each command backed by a general recogniser (Moonshine); "
        "more commands heard, far fewer false ones, for about 80 MB more memory",
    )
    echo_cancel: bool = Field(
        False,
        description="experimental: take the coach's own voice out of the microphone's audio, so "
        "that commands said over it are heard (WebRTC's echo canceller)",
    )
    vosk_model: OptionalPath = Field(
        None, description="Vosk model folder (empty: look in the usual places)"
    )
    voice: Annotated[str, AfterValidator(_voice)] = Field(
        "espeak",
        description="espeak, espeak:VOICENAME (e.g. espeak:en-gb), piper or pyttsx3[:VOICEID]",
    )
    rate: Annotated[int | None, Number] = Field(
        None, ge=80, le=300, description="words per minute, 80..300 (empty: the voice's default)"
    )
    volume: Annotated[float, Number] = Field(1.0, ge=0.0, le=1.0, description="loudness, 0..1")
    input_device: Device = Field(
        None, description="microphone: name, part of a name, or number (empty: system default)"
    )
    output_device: Device = Field(
        None, description="speaker: name, part of a name, or number (empty: system default)"
    )
    tempo: Annotated[float, Number] = Field(
        1.0, ge=0.5, le=2.5, description="counting speed, 0.5..2.5 (2 = counts twice as fast)"
    )
    progression: bool = Field(
        True, description="step the dosage up after clean sessions, back after pain"
    )
    data_dir: OptionalPath = Field(
        None, description="folder for the workout history (empty: ~/.local/share/voicecoach)"
    )
    chime: bool = Field(True, description="a short chime as each spoken command is heard")
    warm_up: bool = Field(
        True,
        description="a short warm-up before strengthening routines and a cool-down after "
        '(say "skip" to pass over a part)',
    )
    check_in: bool = Field(
        True, description="ask how the back feels before a spoken workout (run and serve)"
    )


FIELDS = tuple(Settings.model_fields)
SETTING_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")  # what a mistyped setting could look like


def config_path() -> Path:
    """`$VOICECOACH_CONFIG`, else the XDG config file (~/.config/voicecoach/config.yaml)."""
    if env := os.environ.get(CONFIG_ENV, "").strip():
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir("voicecoach", appauthor=False)) / "config.yaml"


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def load_settings(
    path: Path | None = None, overrides: dict[str, Any] | None = None
) -> tuple[Settings, dict[str, str]]:
    """The effective settings and, per field, where its value came from.

    `path` defaults to `config_path()`; a missing file means defaults. `overrides` are
    command-line values: None means "not given". Any bad value is one UserError line.
    """
    path = path or config_path()
    values: dict[str, Any] = {}
    sources = dict.fromkeys(FIELDS, DEFAULT)
    for field, value in read_config_file(path).items():
        values[field], sources[field] = value, f"config file {path}"
    _validate(values, sources, path)  # a broken file is reported even where env overrides it
    for field in FIELDS:
        if value := os.environ.get(env_name(field), "").strip():
            values[field], sources[field] = value, f"environment {env_name(field)}"
    for field, value in _given(overrides).items():
        values[field], sources[field] = value, COMMAND_LINE
    return _validate(values, sources, path), sources


def _given(overrides: dict[str, Any] | None) -> dict[str, Any]:
    given = {f: v for f, v in (overrides or {}).items() if v is not None}
    if unknown := sorted(set(given) - set(FIELDS)):
        raise ValueError(f"not settings: {', '.join(unknown)}")  # a caller's bug, not the user's
    return given


def read_config_file(path: Path) -> dict[str, Any]:
    """The raw mapping in the config file: {} when the file is missing or holds only comments."""
    try:
        text = yamlfile.read_text(path, "the config file")
    except MissingFile:
        return {}
    data = yamlfile.parse(path, text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        found = "a list" if isinstance(data, list) else "a single value"
        raise UserError(f"{path}: expected settings as `name: value` lines, found {found}")
    return {str(key): value for key, value in data.items()}


def _validate(values: dict[str, Any], sources: dict[str, str], path: Path) -> Settings:
    try:
        return Settings.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0])
        source = sources[field]
        where = yamlfile.where(path, (field,)) if source.startswith("config") else source
        if not SETTING_NAME.fullmatch(field):
            # Not a config file at all (say /etc/shadow): show none of its content.
            raise UserError(f"{where}: not a setting (settings are `name: value` lines)") from None
        raise UserError(f"{where}: {field}: {_problem(first)}") from None


def _problem(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(error["loc"][0]), FIELDS, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(FIELDS)}"
        return f"unknown setting ({hint})"
    if error["type"] == "value_error":
        got = error["input"]
        shown = "" if isinstance(got, bool) else f" (got {yamlfile.shorten(got)})"
        return f"{error['ctx']['error']}{shown}"
    return yamlfile.problem(error)
