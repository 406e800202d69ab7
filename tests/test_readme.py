"""The README is a user's front door: short, and its figures are the generated reports'."""

import re
from pathlib import Path

from bench import readme

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_figures_are_the_reports_figures():
    assert readme.updated(readme.README.read_text()) == readme.README.read_text()


def test_the_readme_stays_short_and_its_links_lead_somewhere():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 300
    for link in re.findall(r"\]\(([^)#]+)\)", text):
        if not link.startswith("http"):
            assert (ROOT / link).exists(), link
