"""Choosing a command recogniser: Vosk when a model is installed, PocketSphinx otherwise."""

from pathlib import Path
from typing import Literal, get_args

from voicecoach.errors import UserError
from voicecoach.speech.commands import SESSION, PhraseTable
from voicecoach.speech.recognizer import Recognizer

Engine = Literal["auto", "pocketsphinx", "vosk"]
ENGINES: tuple[str, ...] = get_args(Engine)


def make_recognizer(
    engine: str = "auto",
    vosk_model: Path | None = None,
    table: PhraseTable = SESSION,
    second_opinion: bool = True,
) -> Recognizer:
    """A recogniser listening for `table`'s phrases (the session commands by default).

    `second_opinion`: PocketSphinx has its commands checked by a general recogniser (see
    `speech/moonshine/second_opinion.py`); Vosk needs none."""
    if engine not in ENGINES:
        raise UserError(f"unknown speech engine {engine!r} (choose from {', '.join(ENGINES)})")
    if engine in ("auto", "vosk"):
        from voicecoach.speech.vosk.model import find_model

        model = find_model(vosk_model)
        if model is not None:
            from voicecoach.speech.vosk.engine import VoskRecognizer

            return VoskRecognizer(model, table=table)
        if engine == "vosk":
            raise UserError("no Vosk model installed (see `voicecoach model --help`)")
    from voicecoach.speech.pocketsphinx.engine import (
        DECODER_ALONE,
        PocketSphinxOptions,
        PocketSphinxRecognizer,
    )

    options = PocketSphinxOptions() if second_opinion else DECODER_ALONE
    return PocketSphinxRecognizer(table=table, options=options)
