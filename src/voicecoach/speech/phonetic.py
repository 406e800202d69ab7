"""Match a free transcript to a phrase table by sound, not spelling.

A transcriber writes what it heard as ordinary English: "two painful", "weight a moment",
"skipped this". Compared as phone strings (from the CMU dictionary that ships with PocketSphinx)
these are a phone or two from the phrase that was said, while ordinary speech is far from every
phrase. The edit distance over phones, divided by the phrase's length, is the dial.
"""

import itertools
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pocketsphinx
from rapidfuzz.distance import Levenshtein

from voicecoach.speech.commands import PhraseTable, normalize

DICTIONARY = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
NUMBERS = {"1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "8": "eight"}


@cache
def pronunciations() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Word -> its pronunciations (the dictionary marks variants as word(2), word(3), ...)."""
    found: dict[str, list[tuple[str, ...]]] = {}
    for line in DICTIONARY.read_text(encoding="utf-8").splitlines():
        head, *phones = line.split()
        word = head.split("(")[0]
        found.setdefault(word, []).append(tuple(phones))
    return {word: tuple(variants) for word, variants in found.items()}


def phone_strings(text: str, limit: int = 8) -> list[tuple[str, ...]]:
    """The ways `text` can be pronounced (at most `limit`); [] when a word is not in the
    dictionary."""
    words = normalize(_spell_digits(text)).split()
    table = pronunciations()
    if not words or any(word not in table for word in words):
        return []
    combos = itertools.islice(itertools.product(*(table[word] for word in words)), limit)
    return [tuple(itertools.chain.from_iterable(combo)) for combo in combos]


def _spell_digits(text: str) -> str:
    return "".join(f" {NUMBERS[c]} " if c in NUMBERS else c for c in text)


@dataclass(frozen=True)
class Match:
    phrase: str
    intent: str
    distance: float  # phone edits / phrase length: 0 is the phrase itself


class PhoneticMatcher:
    def __init__(self, table: PhraseTable) -> None:
        self.table = table
        self._phrases = [
            (phrase, phones) for phrase in table.phrases() for phones in phone_strings(phrase)
        ]

    def best(self, text: str, intent: str | None = None) -> Match | None:
        """The phrase (of `intent`, or of any) closest in sound to `text`; None when `text`
        cannot be sounded out."""
        exact = self.table.intent_for(text)
        if exact is not None and intent in (None, exact):
            return Match(normalize(text), exact, 0.0)
        heard = phone_strings(text)
        candidates = [
            (phrase, phones)
            for phrase, phones in self._phrases
            if intent is None or self.table.intents[phrase] == intent
        ]
        if not heard or not candidates:
            return None
        distance, phrase = min(
            (Levenshtein.distance(said, phones) / len(phones), phrase)
            for said in heard
            for phrase, phones in candidates
        )
        return Match(phrase, self.table.intents[phrase], distance)
