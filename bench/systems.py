"""The recogniser configurations the benchmark compares, by name."""

import math
from collections.abc import Callable
from dataclasses import replace

from voicecoach.speech.pocketsphinx.engine import (
    DECODER_ALONE,
    PocketSphinxOptions,
    PocketSphinxRecognizer,
)
from voicecoach.speech.recognizer import Recognizer
from voicecoach.speech.segmenter import SegmenterConfig

DEFAULT = PocketSphinxOptions()
# The first experiment: segments of any length decoded against the bare phrase grammar.
BASELINE = PocketSphinxOptions(
    segmenter=SegmenterConfig(vad="energy", margin_db=9.0, max_speech=math.inf),
    min_gap=0.0,
    verify=False,
    denoise=0,
    second_opinion=None,
    decoder_args=(("bestpath", True), ("dither", True)),
)
NO_BESTPATH = replace(BASELINE, decoder_args=DEFAULT.decoder_args)
LIMITS = replace(NO_BESTPATH, segmenter=SegmenterConfig(vad="energy", margin_db=5.0), min_gap=0.6)

VARIANTS: dict[str, PocketSphinxOptions] = {
    "ps-default": DEFAULT,
    # the grammar decoder decides alone (second_opinion: false), over a noise floor
    "ps-decoder-alone": DECODER_ALONE,
    # the default until 21 Nov 2026
    "ps-no-denoise": replace(DEFAULT, denoise=0, verify_margin=5.0, second_opinion=None),
    "ps-grammar": BASELINE,
    "ps-grammar-nobestpath": NO_BESTPATH,
    "ps-grammar-limits": LIMITS,
    # the default until 2 Dec 2026: the energy VAD, whose floor is the quietest moment
    "ps-energy": replace(DEFAULT, segmenter=SegmenterConfig(vad="energy", margin_db=5.0)),
    "ps-verify-decoys-0": replace(LIMITS, verify=True, verify_margin=0.0),
    "ps-verify-decoys-10": replace(LIMITS, verify=True, verify_margin=10.0),
}


def names() -> list[str]:
    return [*VARIANTS, "vosk"]


def factory(name: str) -> Callable[[], Recognizer]:
    if name == "vosk":
        from voicecoach.speech.engines import make_recognizer

        return lambda: make_recognizer("vosk")
    options = VARIANTS[name]
    return lambda: PocketSphinxRecognizer(options)


def vosk_available() -> bool:
    try:
        from voicecoach.speech.vosk.model import find_model

        return find_model(None) is not None
    except Exception:  # a broken model configuration must not stop the benchmark
        return False
