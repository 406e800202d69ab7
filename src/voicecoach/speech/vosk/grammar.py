"""The Vosk grammar built from the command table, and the rule that turns a result into a phrase.

In grammar mode Vosk always answers with words of the grammar, often with confidence 1.0, even
for unrelated speech (vosk-api issues #741, #1339; vosk-android-demo #122). So the grammar also
holds "[unk]" and decoys: everyday words that give other speech something to match besides a
command. A result counts only when its whole text is one command phrase and every word of it is
confident enough.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from voicecoach.speech.commands import all_phrases, normalize

UNK = "[unk]"
DEFAULT_MIN_CONFIDENCE = 0.7

# Frequent short words, and near rhymes of command words, which soak up speech that is no command.
# Never a homophone of a command word ("paws", "wait", "to", "dunn"): it would swallow the command.
# Nothing near the pain phrases either: a missed "it hurts" costs more than a false one.
DECOYS: tuple[str, ...] = (
    "the",
    "and",
    "of",
    "in",
    "is",
    "you",
    "he",
    "she",
    "was",
    "for",
    "on",
    "are",
    "as",
    "with",
    "his",
    "they",
    "at",
    "be",
    "from",
    "or",
    "had",
    "by",
    "but",
    "not",
    "all",
    "were",
    "we",
    "when",
    "your",
    "said",
    "there",
    "an",
    "which",
    "if",
    "will",
    "out",
    "then",
    "them",
    "so",
    "her",
    "would",
    "him",
    "into",
    "has",
    "more",
    "no",
    "my",
    "than",
    "been",
    "who",
    "now",
    "did",
    "get",
    "made",
    "may",
    "very",
    "mother",
    "house",
    "little",
    "people",
    "water",
    "time",
    "text",
    "nest",
    "neck",
    "dawn",
    "don",
    "post",
    "pass",
    "ship",
    "skin",
    "held",
    "yelp",
    "hello",
    "state",
    "stay",
    "lower",
    "flower",
    "master",
    "pastor",
    "star",
    "smart",
    "complete",
    "retreat",
    "obvious",
    "assume",
    "consume",
    "moved",
    # what the coach and the person exercising say aloud, between commands
    "breathe",
    "breath",
    "lift",
    "relax",
    "knees",
    "hips",
    "legs",
    "arms",
    "floor",
    "rest",
    "press",
    "keep",
    "slowly",
    "one",
    "three",
    "five",
    "ten",
    "good",
    "great",
    "yes",
    "okay",
    "right",
    "side",
)


@dataclass(frozen=True)
class Match:
    phrase: str
    start: float
    end: float
    confidence: float


@dataclass(frozen=True)
class Grammar:
    commands: tuple[str, ...]  # normalised command phrases
    decoys: tuple[str, ...]

    @property
    def words(self) -> list[str]:
        """What Vosk is given: commands, decoys, then "[unk]" for any other word."""
        return [*self.commands, *self.decoys, UNK]

    def to_json(self) -> str:
        return json.dumps(self.words, ensure_ascii=False)  # Vosk does not decode \u escapes


def build_grammar(
    phrases: Iterable[str] | None = None,
    decoys: Iterable[str] = DECOYS,
    in_vocabulary: Callable[[str], bool] | None = None,
) -> Grammar:
    """Command phrases (all of the table by default) and the decoys that share no word with them.
    With `in_vocabulary`, phrases and decoys holding a word the model lacks are left out."""
    known = in_vocabulary or (lambda _word: True)
    table = all_phrases() if phrases is None else phrases
    wanted = _unique(normalize(phrase) for phrase in table)
    commands = [phrase for phrase in wanted if all(known(word) for word in phrase.split())]
    command_words = {word for phrase in commands for word in phrase.split()}
    extra = [
        word
        for word in _unique(normalize(decoy) for decoy in decoys)
        if " " not in word and word not in command_words and known(word)
    ]
    return Grammar(tuple(commands), tuple(extra))


def match(result: dict[str, Any], phrases: frozenset[str], min_confidence: float) -> Match | None:
    """The phrase a Vosk result (with SetWords(True)) names, or None when it names none."""
    words = result.get("result") or []
    text = normalize(" ".join(str(word.get("word", "")) for word in words))
    if not words or text not in phrases or any(word.get("word") == UNK for word in words):
        return None
    confidence = min(float(word.get("conf", 0.0)) for word in words)
    if confidence < min_confidence:
        return None
    return Match(text, float(words[0]["start"]), float(words[-1]["end"]), confidence)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))
