"""Phrase regrets from Moonshine tiny (real model, real espeak-ng audio)."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from voicecoach.audio.wavio import read_wav
from voicecoach.speech.commands import SESSION
from voicecoach.speech.moonshine.phrase_scorer import PhraseScorer, _spellings, model
from voicecoach.speech.moonshine.second_opinion import DECOY, with_decoys

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def espeak(text: str, path: Path) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), text], check=True)
    return read_wav(path)


def test_phrases_are_tokenized_as_moonshine_writes_them() -> None:
    """The tokens Moonshine itself wrote for "Too painful." in the benchmark."""
    tokens = [model().vocabulary[i] for i in model().tokenize("Too painful")]
    assert tokens == ["\u2581To".encode(), b"o", "\u2581pain".encode(), b"ful"]


def test_phrases_are_written_as_sentences_and_as_they_sound() -> None:
    assert _spellings("too painful") == ["Too painful", "Two painful"]
    assert _spellings("i'm done") == ["I'm done"]


@needs_espeak
def test_a_spoken_phrase_costs_little_and_ordinary_speech_much(tmp_path: Path) -> None:
    scorer = PhraseScorer(SESSION, limit=12.0)
    regrets = scorer.regrets(espeak("skip this", tmp_path / "skip.wav"))
    nearest, *others = sorted(regrets, key=regrets.__getitem__)
    assert nearest == "skip this" and regrets[nearest] < 3.0
    assert all(regrets[p] > regrets[nearest] + 3.0 for p in others if p not in ("skip",))
    ordinary = scorer.regrets(espeak("Put your hands under your hips.", tmp_path / "line.wav"))
    assert min(ordinary.values(), default=12.0) > 8.0


@needs_espeak
def test_pruning_the_tree_leaves_the_regrets_within_the_limit_unchanged(tmp_path: Path) -> None:
    pcm = espeak("slow down", tmp_path / "slow.wav")
    everything = PhraseScorer(SESSION, limit=1e9).regrets(pcm)
    near = PhraseScorer(SESSION, limit=8.0).regrets(pcm)
    assert len(everything) == len(SESSION.phrases())
    assert near and len(near) < len(everything)
    # Rows are quantized per batch, so a regret moves by a few hundredths with the batch's size.
    assert near == pytest.approx({p: everything[p] for p in near}, abs=0.3)
    assert {p for p, r in everything.items() if r <= 7.5} <= set(near)


@needs_espeak
def test_some_intents_can_be_followed_less_far(tmp_path: Path) -> None:
    """Decoys matter only within 3 nats, so the second opinion follows them no farther."""
    table = with_decoys(SESSION)
    pcm = espeak("oh well", tmp_path / "oh.wav")
    everything = PhraseScorer(table, limit=12.0).regrets(pcm)
    pruned = PhraseScorer(table, limit=12.0, limits={DECOY: 3.0}).regrets(pcm)
    decoys = {p for p in everything if table.intent_for(p) == DECOY}
    assert any(everything[p] > 3.3 for p in decoys)  # some decoys lie farther than 3 nats
    assert all(pruned[p] <= 3.0 for p in pruned if p in decoys)
    assert {p for p in decoys if everything[p] <= 2.7} <= set(pruned)
    commands = {p: r for p, r in everything.items() if p not in decoys}
    assert {p: pruned[p] for p in commands} == pytest.approx(commands, abs=0.3)
