"""The command table: the one place that maps spoken phrases to commands.

Both recognisers' grammars, the typed commands of text mode and `help` are generated from it.
"""

import re

from voicecoach.coach.commands import Command

PHRASES: dict[Command, tuple[str, ...]] = {
    Command.NEXT: ("next", "next exercise", "done", "i'm done", "move on"),
    Command.PREVIOUS: ("previous", "go back"),
    Command.REPEAT: ("repeat", "repeat that", "say that again"),
    Command.PAUSE: ("pause", "hold on", "wait a moment"),
    Command.RESUME: ("resume", "continue", "i'm ready"),
    Command.SKIP: ("skip", "skip this", "skip exercise"),
    Command.PAIN: ("too painful", "it hurts", "that hurts", "this hurts"),
    Command.END: ("end workout", "stop workout", "finish workout"),
    Command.HELP: ("help", "what can i say"),
    Command.STATUS: ("how many left", "status", "what's left"),
    Command.SLOWER: ("slower", "slow down"),
    Command.FASTER: ("faster", "speed up"),
    Command.START: ("start workout", "begin workout"),
}

PHRASE_TO_COMMAND: dict[str, Command] = {
    phrase: command for command, phrases in PHRASES.items() for phrase in phrases
}


def normalize(text: str) -> str:
    """Lower-case, drop punctuation other than apostrophes, fold white space."""
    text = re.sub(r"[^a-z' ]+", " ", text.lower().replace("’", "'"))
    return " ".join(text.split())


def command_for(text: str) -> Command | None:
    """The command a whole utterance names, or None. Command names are accepted too."""
    phrase = normalize(text)
    if phrase in PHRASE_TO_COMMAND:
        return PHRASE_TO_COMMAND[phrase]
    try:
        return Command(phrase)
    except ValueError:
        return None


def all_phrases() -> list[str]:
    return list(PHRASE_TO_COMMAND)


def help_text() -> str:
    """What the coach says when asked for help: the first phrase of each command."""
    phrases = [phrases[0] for command, phrases in PHRASES.items() if command != Command.START]
    return f"You can say: {', '.join(phrases)}."
