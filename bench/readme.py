"""The README's figures, copied from the generated reports in docs/benchmarks/.

    python -m bench.readme            # rewrite the README's figure blocks
    python -m bench.readme --check    # exit 1 if the README disagrees with the reports

A block sits between `<!-- NAME -->` and `<!-- /NAME -->` and is never edited by hand.
"""

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
REPORTS = ROOT / "docs" / "benchmarks"
PAIN = '"too painful" heard'


def table(markdown: str, heading: str) -> list[list[str]]:
    """The rows (header first, separator dropped) of the first table under `heading`."""
    section = ("\n" + markdown).split(f"\n{heading}\n", 1)[1]
    rows = []
    for line in section.splitlines():
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if not all(set(cell) <= set("-: ") for cell in cells):
                rows.append(cells)
        elif rows:
            break
    return rows


def recognition() -> str:
    report = (REPORTS / "recognition.md").read_text()
    header, *rows = table(report, "## Summary")
    row = dict(zip(header, next(r for r in rows if r[0] == "ps-default"), strict=True))
    header, *conditions = table(report, "## Per condition")
    pain = [dict(zip(header, r, strict=True)) for r in conditions if r[0] == "ps-default"]
    lines = [
        "| commands heard: quiet / pink noise 10 dB / 0 dB | false commands per 10 min: read "
        "speech / short phrases / grunts and exclamations | latency p50 / p95 |",
        "|---|---|---|",
        f"| {row['acc clean']} / {row['acc pink 10 dB']} / {row['acc pink 0 dB']} "
        f"| {row['false/10 min real speech']} / {row['false/10 min short real phrases']} / "
        f"{row['false/10 min real exclamations']} | {row['latency p50 / p95 ms']} ms |",
        "",
        '"Too painful" heard, by condition: '
        + ", ".join(f"{p['condition']} {p[PAIN]}" for p in pain)
        + ".",
    ]
    return "\n".join(lines)


def footprint() -> str:
    report = (REPORTS / "footprint.md").read_text()
    header, *rows = table(report, "# Footprint of `voicecoach serve`")
    lines = ["| configuration | phase | CPU (one core) | RSS | peak RSS |", "|---|---|---|---|---|"]
    for row in rows:
        cell = dict(zip(header, row, strict=True))
        if cell["configuration"] != "default":
            continue
        lines.append(
            f"| {cell['configuration']} | {cell['phase']} | {cell['CPU (one core)']} "
            f"| {cell['RSS']} | {cell['peak RSS']} |"
        )
    return "\n".join(lines)


def pi() -> str:
    """The Pi 4 timing at each core ratio."""
    report = (REPORTS / "pi.md").read_text()
    header, *rows = table(report, "## A Pi 4's speed")
    lines = [
        "| R | condition | heard right | latency p50 / p95 ms | RTF |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        c = dict(zip(header, row, strict=True))
        lines.append(
            f"| {c['core ratio R'].split()[0]} | {c['condition']} | {c['heard right']} "
            f"| {c['latency p50 / p95 ms']} | {c['RTF on a Pi 4']} |"
        )
    return "\n".join(lines)


BLOCKS = {"recognition": recognition, "footprint": footprint, "pi": pi}


def updated(readme: str) -> str:
    for name, render in BLOCKS.items():
        pattern = re.compile(rf"(<!-- {name} -->\n)(?:.*?\n)?(<!-- /{name} -->)", re.S)
        if not pattern.search(readme):
            raise SystemExit(f"README.md: no <!-- {name} --> block")
        readme = pattern.sub(lambda m, r=render: m[1] + r() + "\n" + m[2], readme)
    return readme


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if stale")
    args = parser.parse_args(argv)
    current = README.read_text()
    fresh = updated(current)
    if args.check:
        if fresh != current:
            print("README.md: figures differ from docs/benchmarks: run python -m bench.readme")
            return 1
        return 0
    README.write_text(fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
