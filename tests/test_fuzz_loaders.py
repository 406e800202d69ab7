"""Property-based fuzzing (Hypothesis) of what reads user files: the routine loader, the config
loader and the WAV reader (issue 28). Whatever the bytes, the outcome is a value or a UserError
(one line for the user) — never another exception — within 5 s and 100 MB a file.

Bounded for CI: 200 examples per reader, derandomized so that a failure reproduces.
"""

import math
import os
import struct
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voicecoach.audio.wavio import read_wav
from voicecoach.errors import UserError
from voicecoach.routines import Library, load_library
from voicecoach.routines.loader import check_id, load_model
from voicecoach.routines.schema import Exercise, Routine
from voicecoach.settings import FIELDS, load_settings

ROUTINES = Path(__file__).resolve().parents[1] / "routines"
PEAK_BYTES = 100 * 1024 * 1024  # traced by tracemalloc: Python objects and numpy arrays

CPU_SECONDS = 5.0  # a file read must not take longer: a hang or a runaway loop

FUZZ = settings(
    max_examples=200,
    # The bound is CPU time, checked in `bounded`: wall time failed on a machine shared by
    # other jobs (load 5 on 2 cores) while the same examples took well under a second alone.
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Pieces of YAML that have broken parsers: anchors and aliases, merges, deep nesting, tabs,
# tags, long numbers, duplicate keys, several documents, odd characters.
FRAGMENTS = [
    "&a ", "*a", "<<: *a\n", "[" * 60, "]" * 60, "{" * 30, "- " * 40, "? ", ": ", "\t", "---\n",
    "...\n", "%YAML 1.1\n", "!!python/object/apply:os.system ['true']", "!!binary AAAA",
    "!!float ", "!!int ", "!!str ", "\x00", "\ufeff", "\x85", "'", '"', "|\n", ">-\n", "#",
    "9" * 5000, "0x" + "f" * 5000, "0b" + "1" * 300, "1:" * 200 + "1", "1e99999", ".nan",
    "yes", "~", "sets: 1\nsets: 2\n", "a: &x [*x]\n", "[[h@l'oU]]",
]  # fmt: skip

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    st.text(max_size=40),
    st.sampled_from(["yes", "no", "10", "1e999", "0x10", "-1", "0", "", " ", "none", "each"]),
)


def values(keys: list[str]) -> st.SearchStrategy[Any]:
    return st.recursive(
        SCALARS,
        lambda inner: (
            st.lists(inner, max_size=5)
            | st.dictionaries(st.sampled_from(keys) | st.text(max_size=12), inner, max_size=5)
        ),
        max_leaves=40,
    )


def mutated(document: dict, keys: list[str]) -> st.SearchStrategy[str]:
    """`document` with some fields replaced or removed, dumped, then with fragments spliced in."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        data = yaml.safe_load(yaml.safe_dump(document))
        for _ in range(draw(st.integers(0, 4))):
            _replace(draw, data, keys)
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        for _ in range(draw(st.integers(0, 3))):
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.sampled_from(FRAGMENTS)) + text[at:]
        return text

    return build()


def _replace(draw: st.DrawFn, data: Any, keys: list[str]) -> None:
    """Walk down a random path of containers, then replace or drop what is there."""
    while True:
        if isinstance(data, dict) and data:
            key = draw(st.sampled_from(sorted(data, key=str)))
        elif isinstance(data, list) and data:
            key = draw(st.integers(0, len(data) - 1))
        else:
            return
        child = data[key]
        if not isinstance(child, dict | list) or draw(st.booleans()):
            if isinstance(data, dict) and draw(st.integers(0, 4)) == 0:
                del data[key]
            else:
                data[key] = draw(values(keys))
            return
        data = child


def any_text(keys: list[str], document: dict) -> st.SearchStrategy[str]:
    return st.one_of(
        mutated(document, keys),
        st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=20), max_size=12).map("".join),
        values(keys).map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
    )


def bounded(check: Callable[[], Any]) -> Any:
    """Run `check`; a UserError is a fine outcome. Its traced memory and CPU time must stay
    small."""
    tracemalloc.start()
    cpu = time.process_time()
    try:
        return check()
    except UserError as error:
        message = str(error)
        assert message and "\n" not in message, message
        assert len(message) < 2000, message[:200]
        return None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        seconds = time.process_time() - cpu
        assert peak < PEAK_BYTES, f"peak {peak / 1e6:.0f} MB"
        assert seconds < CPU_SECONDS, f"{seconds:.1f} s of CPU"


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="voicecoach-fuzz-") as name:
        yield Path(name)


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(ROUTINES)


@pytest.fixture(scope="module", autouse=True)
def no_environment_settings() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("VOICECOACH_")]:
            patch.delenv(name)
        yield


CORE_FOUR = yaml.safe_load((ROUTINES / "core-four.yaml").read_text(encoding="utf-8"))
BRIDGE = yaml.safe_load((ROUTINES / "exercises" / "bridge.yaml").read_text(encoding="utf-8"))
ROUTINE_KEYS = [*Routine.model_fields, "exercise", "dosage", "progression", "sets", "reps"]
ROUTINE_KEYS += ["hold_seconds", "sides", "field", "start", "target", "step", "sessions"]
CONFIG = {"routine": "core-four", "rate": 150, "volume": 0.8, "input_device": 2, "tempo": 1.5}


@FUZZ
@given(text=any_text(ROUTINE_KEYS, CORE_FOUR))
def test_routine_loader_only_says_user_errors(folder: Path, library: Library, text: str) -> None:
    path = folder / "core-four.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")

    def load() -> Routine:
        routine = load_model(path, Routine)
        check_id(routine, path)
        library.check_routine(routine, path)
        library.steps(routine)
        return routine

    bounded(load)


@FUZZ
@given(text=any_text([*Exercise.model_fields, *ROUTINE_KEYS], BRIDGE))
def test_exercise_loader_only_says_user_errors(folder: Path, text: str) -> None:
    path = folder / "exercises" / "bridge.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    bounded(lambda: check_id(load_model(path, Exercise), path))


@FUZZ
@given(text=any_text(list(FIELDS), CONFIG))
def test_config_loader_only_says_user_errors(folder: Path, text: str) -> None:
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    bounded(lambda: load_settings(path))


@st.composite
def wav_files(draw: st.DrawFn) -> bytes:
    """RIFF/WAVE files with any format fields, data lengths and cuts; or bytes at random."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=200))
    channels = draw(st.integers(0, 65535) | st.integers(1, 3))
    rate = draw(st.integers(0, 2**32 - 1) | st.sampled_from([8000, 16000, 44100, 384000]))
    width = draw(st.integers(0, 8) | st.integers(1, 4))
    tag = draw(st.sampled_from([1, 1, 1, 3, 0xFFFE, 0]))
    data = draw(st.binary(max_size=4000))
    block = channels * width
    fmt = struct.pack(
        "<HHIIHH", tag, channels, rate, rate * block % 2**32, block % 2**16, width * 8
    )
    declared = draw(st.sampled_from([len(data), 0, 2**32 - 1]) | st.integers(0, 5000))
    body = b"WAVEfmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", declared) + data
    whole = b"RIFF" + struct.pack("<I", len(body)) + body
    cut = draw(st.integers(0, len(whole)) | st.just(len(whole)))
    return whole[:cut]


@FUZZ
@given(data=wav_files())
def test_wav_reader_only_says_user_errors(folder: Path, data: bytes) -> None:
    path = folder / "input.wav"
    path.write_bytes(data)
    samples = bounded(lambda: read_wav(path))
    if samples is not None:
        assert samples.dtype == np.int16 and samples.ndim == 1
        assert math.isfinite(float(np.abs(samples.astype(np.int32)).sum()))
