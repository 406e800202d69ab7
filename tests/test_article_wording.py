"""The routines take facts from the seed articles, not sentences: no spoken line shares a run
of seven words with one. The articles are not part of the repository; set VOICECOACH_SEEDS
to their folder (default: /work/shared/seeds, where the project's sessions keep them)."""

import os
import re
from pathlib import Path

import pytest

from voicecoach.routines import load_library

SEEDS = Path(os.environ.get("VOICECOACH_SEEDS", "/work/shared/seeds"))
RUN = 7


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def runs(text: str) -> set[tuple[str, ...]]:
    found = words(text)
    return {tuple(found[i : i + RUN]) for i in range(len(found) - RUN + 1)}


def spoken_lines() -> list[tuple[str, str]]:
    library = load_library()
    lines = []
    for exercise in library.exercises.values():
        said = [*exercise.instructions, *exercise.cautions, *exercise.side_names]
        said += [move.say for move in exercise.moves]
        lines += [(exercise.id, line) for line in said]
    for routine in library.routines.values():
        lines += [(routine.id, line) for line in [*routine.intro, routine.description]]
    return lines


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed articles not found at {SEEDS}")
def test_no_spoken_line_copies_a_run_of_words_from_an_article():
    article_runs: set[tuple[str, ...]] = set()
    for path in sorted(SEEDS.glob("*.txt")):
        article_runs |= runs(path.read_text(encoding="utf-8"))
    copied = [f"{where}: {line}" for where, line in spoken_lines() if runs(line) & article_runs]
    assert not copied, "\n".join(copied)
