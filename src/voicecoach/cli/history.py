"""Sub-commands (placeholder until this area is built)."""

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    pass
