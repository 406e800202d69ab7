"""Write docs/scripts/ROUTINE.md for every routine: the spoken timeline kept for review.

python -m bench.scripts           # rewrite the pages
python -m bench.scripts --check   # exit 1 if any page differs from what the engine says now
"""

import argparse
import sys
from pathlib import Path

from voicecoach.cli.routines import script_markdown
from voicecoach.routines import load_library

SCRIPTS_DIR = Path(__file__).resolve().parents[1] / "docs" / "scripts"


def pages() -> dict[Path, str]:
    library = load_library()
    return {
        SCRIPTS_DIR / f"{routine.id}.md": script_markdown(library, library.framed(routine))
        for routine in library.routines.values()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    stale = []
    for path, text in pages().items():
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{path}: out of date (run python -m bench.scripts)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
