"""The command table: the one place that maps spoken phrases to what they ask for.

Session commands, the room-speaker cues ("start workout") and the check-in answers all live
here; both recognisers' grammars, the typed commands of text mode and `help` come from it.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

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
    Command.STATUS: ("how many left", "status", "what's left", "what's next", "how long left"),
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


@dataclass(frozen=True)
class PhraseTable:
    """Phrases a recogniser listens for, each naming an intent (a command, an answer, a cue)."""

    name: str
    intents: Mapping[str, str]  # normalised phrase -> intent

    def phrases(self) -> list[str]:
        return list(self.intents)

    def intent_for(self, text: str) -> str | None:
        return self.intents.get(normalize(text))


SESSION = PhraseTable("session", {phrase: str(c) for phrase, c in PHRASE_TO_COMMAND.items()})

CHECK_IN = PhraseTable(
    "check-in",
    {
        "no pain": "none",
        "i'm fine": "none",
        "fine": "none",
        # The question offers "a bit sore": Moonshine, the second opinion, hardly ever writes
        # "dull ache" ("The lake.", "Delayed.", "Talk."), so in a quiet room that answer was
        # lost 9 times in 80 (docs/decisions/2026-12-03-check-in-answers.md).
        "a bit sore": "sore",
        "a little sore": "sore",
        "sore": "sore",
        "dull ache": "sore",
        "a dull ache": "sore",
        "dull": "sore",
        "sharp pain": "sharp",
        "sharp": "sharp",
    },
)

YES_NO = PhraseTable(
    "yes-no",
    {
        **dict.fromkeys(("yes", "yes please", "yeah", "yep", "sure", "okay"), "yes"),
        **dict.fromkeys(("no", "no thanks", "no thank you", "nope"), "no"),
    },
)


def wake_table(routines: Mapping[str, str]) -> PhraseTable:
    """What `serve` waits for: "start workout", "list workouts", "start <routine name>"."""
    intents = {
        "start workout": "start",
        "begin workout": "start",
        "list workouts": "list",
        "what workouts are there": "list",
    }
    for routine_id, name in routines.items():
        intents[f"start {normalize(name.replace('-', ' '))}"] = f"start:{routine_id}"
    return PhraseTable("wake", intents)
