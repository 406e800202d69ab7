"""Keeping a long-running VoiceCoach's resident memory down, through glibc's allocator.

With another C library (musl) both calls do nothing.
"""

import ctypes
from functools import cache

_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h


@cache
def _libc() -> ctypes.CDLL:
    """The C library already loaded in this process (no search for its file at start-up)."""
    return ctypes.CDLL(None)


def limit_arenas(count: int = 2) -> bool:
    """Let threads share at most `count` malloc arenas; whether the C library took the setting.

    glibc gives threads arenas of their own, up to eight per core, and memory a thread frees
    stays in its arena: `serve` during a session held 318 MB resident with the default and
    275 MB with two (`bench.footprint`), at the same CPU. Call it before threads start."""
    mallopt = getattr(_libc(), "mallopt", None)
    return bool(mallopt is not None and mallopt(_M_ARENA_MAX, count) == 1)


def return_free_memory() -> None:
    """Give the pages freed since the last call back to the system. glibc keeps them otherwise
    (its threshold for mapping large blocks separately rises after the first ones are freed):
    after 450 hearings by the second opinion, 195 MB resident without this and 120 to 140 with
    it. It takes about 2 ms."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)
