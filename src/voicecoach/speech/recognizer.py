"""The interface every command recogniser implements."""

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class CommandEvent:
    command: str  # the intent its phrase table names: a Command for the session table
    text: str  # the phrase as recognised
    start: float  # seconds of audio since the stream began
    end: float
    emitted_at: float  # seconds of audio consumed when the command was emitted
    confidence: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"command": str(self.command)}


class Recognizer(Protocol):
    name: str

    def feed(self, pcm: np.ndarray) -> list[CommandEvent]:
        """Take the next block of int16 mono samples at 16 kHz; return commands completed in it."""
        ...

    def flush(self) -> list[CommandEvent]:
        """End of stream: return whatever is still pending."""
        ...

    def reset(self) -> None:
        """Forget buffered audio (and restart the stream clock at zero)."""
        ...


def recognize_stream(
    recognizer: Recognizer, blocks: Iterable[np.ndarray]
) -> Iterator[CommandEvent]:
    for block in blocks:
        yield from recognizer.feed(block)
    yield from recognizer.flush()
