"""YAML files read strictly: every problem is one line naming the file, the line and the field.

Shared by the routine library and the config file. Reading is bounded: only regular files of at
most MAX_BYTES, at most MAX_DEPTH levels of nesting, MAX_VALUES values (counting what aliases
repeat), MAX_ALIASES aliases and numbers of at most MAX_NUMBER characters. Duplicate keys are
refused rather than silently letting the last one win.
"""

import reprlib
from pathlib import Path
from typing import Any

import yaml

from voicecoach.errors import UserError
from voicecoach.files import read_at_most

MAX_BYTES = 256 * 1024
MAX_DEPTH = 50
MAX_VALUES = 10_000
MAX_ALIASES = 50
MAX_NUMBER = 40  # characters: a count or a number of seconds needs far fewer

_COLLECTION_START = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_COLLECTION_END = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_MERGE = "tag:yaml.org,2002:merge"


class _Refused(yaml.MarkedYAMLError):
    """Well-formed YAML this program will not load (a duplicate key, too deep, too big)."""


def read_text(path: Path, what: str) -> str:
    """The text of the regular file `path`, refusing devices, FIFOs, folders and large files."""
    data = read_at_most(path, what, MAX_BYTES)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path}: {what} is not UTF-8 text") from None


def parse(path: Path, text: str) -> Any:
    """The YAML document in `text` (read from `path`); any problem names its line."""
    try:
        _check_shape(text)
        return _load(text)
    except _Refused as error:
        raise UserError(f"{path}{_line(error)}: {error.problem}; refused") from None
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise UserError(f"{path}{_line(error)}: invalid YAML: {problem}") from None


def where(path: Path, loc: tuple) -> str:
    """`path:line` of the deepest YAML node on `loc` (the line of the offending field)."""
    try:
        text = read_text(path, "file")
        _check_shape(text)
        node: yaml.Node | None = _compose(text)
    except (UserError, yaml.YAMLError):
        return str(path)
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == part]
            if not match:
                break
            key, node = match[0]
            line = key.start_mark.line + 1
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return f"{path}:{line}" if line else str(path)


def problem(error: Any) -> str:
    """One pydantic validation error, said plainly."""
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    got = error.get("input")
    shown = f" (got {shorten(got)})" if got is not None and not isinstance(got, dict | list) else ""
    if kind == "string_pattern_mismatch":
        return f"must be lower-case words joined by hyphens, like 'bird-dog'{shown}"
    message = error["msg"].removeprefix("Value error, ")
    return f"{message[0].lower()}{message[1:]}{shown}"


_short = reprlib.Repr()
_short.maxstring = _short.maxother = 60
_short.maxlist = _short.maxdict = _short.maxtuple = 4
_short.maxlevel = 2


def shorten(value: Any) -> str:
    """A repr of `value` cut to a few dozen characters, at a cost bounded whatever its size."""
    return _short.repr(value)


def _line(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    return f":{mark.line + 1}" if mark else ""


def _check_shape(text: str) -> None:
    """Refuse deep nesting and alias bombs from the event stream, before building anything."""
    depth, values, aliases = 0, 0, 0
    sizes: dict[str, int] = {}  # anchor -> values it stands for
    open_anchors: list[tuple[str | None, int]] = []  # per open collection: anchor, values before
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _Refused(
                    problem=f"more than {MAX_ALIASES} aliases", problem_mark=event.start_mark
                )
            values += sizes.get(event.anchor, 1)
        elif isinstance(event, yaml.ScalarEvent):
            values += 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, _COLLECTION_START):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(
                    problem=f"nested deeper than {MAX_DEPTH} levels", problem_mark=event.start_mark
                )
            open_anchors.append((event.anchor, values))
            values += 1
        elif isinstance(event, _COLLECTION_END):
            depth -= 1
            anchor, before = open_anchors.pop()
            if anchor:
                sizes[anchor] = values - before
        if values > MAX_VALUES:
            raise _Refused(
                problem=f"more than {MAX_VALUES} values (counting what aliases repeat)",
                problem_mark=event.start_mark,
            )


def _load(text: str) -> Any:
    loader = _StrictLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _compose(text: str) -> yaml.Node | None:
    loader = _StrictLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


class _StrictLoader(yaml.SafeLoader):
    # Pure Python rather than libyaml: its messages say more ("expected ',' or ']'"), and the
    # files are small.

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except Exception:
            # PyYAML's constructors fail in many ways on values that do not fit an explicit tag
            # (found by fuzzing: `!!float ---` is a ValueError, an empty `!!float` an
            # IndexError, `!!bool maybe` a KeyError).
            tag = node.tag.removeprefix("tag:yaml.org,2002:")
            raise _Refused(
                problem=f"this value cannot be read as {tag}", problem_mark=node.start_mark
            ) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                seen = first_line.get(key)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if seen is not None:
                raise _Refused(
                    problem=f"duplicate key {shorten(key)} (first on line {seen})",
                    problem_mark=key_node.start_mark,
                )
            first_line[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        if len(node.value) > MAX_NUMBER:
            raise _Refused(
                problem=f"number of {len(node.value)} characters (at most {MAX_NUMBER})",
                problem_mark=node.start_mark,
            )
        return super().construct_yaml_int(node)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)
