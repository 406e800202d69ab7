"""YAML files read strictly: every problem is one line naming the file, the line and the field.

Shared by the routine library and the config file.
"""

from pathlib import Path
from typing import Any

import yaml

from voicecoach.errors import UserError


def parse(path: Path, text: str) -> Any:
    """The YAML document in `text` (read from `path`); a syntax error names its line."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise UserError(f"{path}{line}: invalid YAML: {problem}") from None


def where(path: Path, loc: tuple) -> str:
    """`path:line` of the deepest YAML node on `loc` (the line of the offending field)."""
    try:
        node: yaml.Node | None = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
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
    shown = f" (got {got!r})" if got is not None and not isinstance(got, dict | list) else ""
    if kind == "string_pattern_mismatch":
        return f"must be lower-case words joined by hyphens, like 'bird-dog'{shown}"
    message = error["msg"].removeprefix("Value error, ")
    return f"{message[0].lower()}{message[1:]}{shown}"
