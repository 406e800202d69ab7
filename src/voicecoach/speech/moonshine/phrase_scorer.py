"""How far each command phrase is from what Moonshine would write for a segment.

Moonshine's free transcript of a command said in noise is often wrong ("Tell." for "help"),
yet the model may still rank the right phrase close behind its own guess. So the decoder half
of Moonshine (tiny English, the same weights the `moonshine-voice` wheel carries, run here with
onnxruntime) is led through each phrase, token by token, and each token's shortfall from the
token the model liked best at that point is summed: the phrase's *regret*, in nats. A phrase the
model would have written itself costs 0; "Too painful." for a segment it heard as "Two
painful," costs a little; "Next." for "Front left." costs a lot. Phrases share their first
tokens, so they are walked as a tree, one decoder call per token depth for all of them, and a
branch is dropped as soon as its regret passes the largest one anybody asks about.
"""

import importlib.util
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from voicecoach.memory import return_free_memory
from voicecoach.speech.commands import PhraseTable, normalize

LAYERS = 6
HEADS = 8
HEAD_SIZE = 36
START, END = 1, 2  # the tokenizer's <s> and </s>
WORD = "\u2581"  # marks a token that begins a word
# How Moonshine writes a phrase that can be spelled more than one way ("Two painful.").
SOUNDS_ALIKE = {"too": "two"}


@dataclass
class _Node:
    children: dict[int, "_Node"] = field(default_factory=dict)
    phrases: list[str] = field(default_factory=list)  # phrases whose tokens end here
    limit: float = -math.inf  # the largest limit of the phrases through here


class PhraseScorer:
    def __init__(
        self, table: PhraseTable, limit: float, limits: Mapping[str, float] | None = None
    ) -> None:
        """`limit`: the largest regret of interest; branches past it are not followed.
        `limits`: a smaller one for the phrases of some intents."""
        self.table = table
        self._limits = {p: (limits or {}).get(i, limit) for p, i in table.intents.items()}
        self._model = model()
        self._tree = _Node()
        for phrase in table.phrases():
            for spelling in _spellings(phrase):
                node = self._tree
                for token in self._model.tokenize(spelling):
                    node = node.children.setdefault(token, _Node())
                    node.limit = max(node.limit, self._limits[phrase])
                node.phrases.append(phrase)

    def regrets(self, pcm: np.ndarray) -> dict[str, float]:
        """Each phrase's regret for `pcm`, for the phrases within the limit."""
        try:
            return self._regrets(pcm)
        finally:
            return_free_memory()

    def _regrets(self, pcm: np.ndarray) -> dict[str, float]:
        moonshine = self._model
        encoded = moonshine.encode(pcm)
        logits, state = moonshine.first_step(encoded)
        level: list[tuple[_Node, float]] = [(self._tree, 0.0)]
        found: dict[str, float] = {}
        while level:
            log_probs = _log_softmax(logits)
            best = log_probs.max(axis=-1)
            follow: list[tuple[_Node, float, int, int]] = []
            for row, (node, regret) in enumerate(level):
                # The phrase as a whole sentence: any of . ! ? next. (The three marks together can
                # outweigh the model's best token: a regret a little under 0.)
                stop = np.logaddexp.reduce(log_probs[row, moonshine.stops])
                for phrase in node.phrases:
                    total = regret + best[row] - stop
                    found[phrase] = min(found.get(phrase, math.inf), float(total))
                for token, child in node.children.items():
                    after = regret + best[row] - log_probs[row, token]
                    if after <= child.limit:
                        follow.append((child, float(after), row, token))
            if not follow:
                break
            rows = [row for _, _, row, _ in follow]
            tokens = [token for _, _, _, token in follow]
            logits, state = moonshine.next_step(encoded, state, rows, tokens)
            level = [(child, regret) for child, regret, _, _ in follow]
        limits = self._limits
        return {phrase: regret for phrase, regret in found.items() if regret <= limits[phrase]}


def _spellings(phrase: str) -> list[str]:
    """The phrase as Moonshine would write it, a sentence ("I'm done"), and its sound-alikes."""
    words = normalize(phrase).split()
    alike = [SOUNDS_ALIKE.get(word, word) for word in words]
    return [_sentence(words)] + ([_sentence(alike)] if alike != words else [])


def _sentence(words: list[str]) -> str:
    text = " ".join("I" + w[1:] if w in ("i", "i'm", "i'll", "i've") else w for w in words)
    return text[0].upper() + text[1:]


def _log_softmax(x: np.ndarray) -> np.ndarray:
    top = x.max(axis=-1, keepdims=True)
    return x - top - np.log(np.exp(x - top).sum(axis=-1, keepdims=True))


class _Moonshine:
    """Moonshine tiny's encoder and decoder (onnxruntime) and its tokenizer."""

    def __init__(self, directory: Path) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # one core, as the benchmark's RTF is measured
        options.inter_op_num_threads = 1
        # Segments differ in length, so neither the arena nor a planned memory pattern is
        # reused: both only kept ~25 MB more resident, at the same speed and the same regrets.
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        providers = ["CPUExecutionProvider"]
        self._encoder = onnxruntime.InferenceSession(
            str(directory / "encoder_model.ort"), options, providers=providers
        )
        self._decoder = onnxruntime.InferenceSession(
            str(directory / "decoder_model_merged.ort"), options, providers=providers
        )
        self._outputs = [output.name for output in self._decoder.get_outputs()]
        self.vocabulary = _read_tokens(directory / "tokenizer.bin")
        self._ids = {token: i for i, token in enumerate(self.vocabulary) if i > END}
        self.stops = [self._ids[mark.encode()] for mark in ".!?"]

    def tokenize(self, text: str) -> list[int]:
        """Byte-pair encoding as the model's tokenizer does it: merge the adjacent pair that
        makes the earliest-learned (lowest-numbered) token, until none does."""
        parts = [c.encode() for c in WORD + text.replace(" ", WORD)]
        while True:
            merges = [
                (self._ids[a + b], i)
                for i, (a, b) in enumerate(itertools.pairwise(parts))
                if a + b in self._ids
            ]
            if not merges:
                return [self._ids[part] for part in parts]
            _, i = min(merges)
            parts[i : i + 2] = [parts[i] + parts[i + 1]]

    def encode(self, pcm: np.ndarray) -> np.ndarray:
        audio = (np.asarray(pcm, np.float32) / 32768.0).reshape(1, -1)
        mask = np.ones(audio.shape, np.int64)
        return self._encoder.run(None, {"input_values": audio, "attention_mask": mask})[0]

    def first_step(self, encoded: np.ndarray) -> tuple[np.ndarray, "_State"]:
        """The logits after <s>, and the attention state to go on from."""
        feed = self._feed(encoded, np.array([[START]], np.int64), cached=False)
        for name, kind in _PAST:
            length = 0 if kind == "decoder" else encoded.shape[1]
            feed[name] = np.zeros((1, HEADS, length, HEAD_SIZE), np.float32)
        out = dict(zip(self._outputs, self._decoder.run(None, feed), strict=True))
        return out["logits"][:, -1], _State.from_outputs(out)

    def next_step(
        self, encoded: np.ndarray, state: "_State", rows: list[int], tokens: list[int]
    ) -> tuple[np.ndarray, "_State"]:
        """The logits after each of `rows`' prefixes goes on with its token."""
        n = len(rows)
        feed = self._feed(np.repeat(encoded, n, axis=0), np.array(tokens, np.int64)[:, None], True)
        feed |= {name: value[rows] for name, value in state.decoder.items()}
        # The cross-attention state is the same for every row. The merged decoder's cached
        # branch returns a placeholder for it, so it is kept from the first step.
        feed |= {name: np.repeat(value, n, axis=0) for name, value in state.encoder.items()}
        out = dict(zip(self._outputs, self._decoder.run(None, feed), strict=True))
        return out["logits"][:, -1], _State(_State.from_outputs(out).decoder, state.encoder)

    @staticmethod
    def _feed(encoded: np.ndarray, ids: np.ndarray, cached: bool) -> dict[str, np.ndarray]:
        return {
            "input_ids": ids,
            "encoder_hidden_states": encoded,
            "encoder_attention_mask": np.ones(encoded.shape[:2], np.int64),
            "use_cache_branch": np.array([cached]),
        }


_PAST = [
    (f"past_key_values.{layer}.{kind}.{part}", kind)
    for layer in range(LAYERS)
    for kind in ("decoder", "encoder")
    for part in ("key", "value")
]


@dataclass(frozen=True)
class _State:
    """The decoder's attention state: its own tokens so far (a row per prefix) and the audio."""

    decoder: dict[str, np.ndarray]
    encoder: dict[str, np.ndarray]

    @staticmethod
    def from_outputs(out: dict[str, np.ndarray]) -> "_State":
        present = {name: out[name.replace("past_key_values", "present")] for name, _ in _PAST}
        return _State(
            {name: present[name] for name, kind in _PAST if kind == "decoder"},
            {name: present[name] for name, kind in _PAST if kind == "encoder"},
        )


def _read_tokens(path: Path) -> list[bytes]:
    """Moonshine's tokenizer.bin: each token's bytes after its length (one byte, or two when
    the first has its top bit set)."""
    data = path.read_bytes()
    tokens, i = [], 0
    while i < len(data):
        length = data[i]
        i += 1
        if length >= 128:
            length = (length & 0x7F) | (data[i] << 7)
            i += 1
        tokens.append(data[i : i + length])
        i += length
    return tokens


@cache
def model() -> _Moonshine:
    """Moonshine tiny from the `moonshine-voice` wheel's files (the package itself is not
    imported: it would load its own copy of onnxruntime, which this does not use)."""
    spec = importlib.util.find_spec("moonshine_voice")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("moonshine-voice is not installed")
    loaded = _Moonshine(Path(spec.submodule_search_locations[0]) / "assets" / "tiny-en")
    return_free_memory()  # onnxruntime's reading of the files: ~30 MB
    return loaded
