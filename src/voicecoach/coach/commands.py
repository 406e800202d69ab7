"""What a person can ask of the coach. The spoken phrases for each live in speech.commands."""

from enum import StrEnum


class Command(StrEnum):
    NEXT = "next"
    PREVIOUS = "previous"
    REPEAT = "repeat"
    PAUSE = "pause"
    RESUME = "resume"
    SKIP = "skip"
    END = "end"
    HELP = "help"
    STATUS = "status"
    SLOWER = "slower"
    FASTER = "faster"
    PAIN = "pain"
    START = "start"
    # Not a phrase: the recogniser's "maybe too painful", heard too faintly to act on. The coach
    # pauses and asks.
    UNSURE_PAIN = "pain?"
