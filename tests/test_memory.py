"""Returning freed memory to the system, on this machine's real glibc allocator."""

import os
import platform

import pytest

from bench.procfs import memory_mb
from voicecoach.memory import return_free_memory

pytestmark = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="the calls do nothing without glibc"
)


def anonymous_mb() -> float:
    return memory_mb(os.getpid(), "RssAnon")


def test_freed_memory_goes_back_to_the_system() -> None:
    # 64 MB in blocks small enough for the heap; freeing every other one leaves holes that
    # glibc keeps, since the blocks between them are still in use.
    blocks = [bytearray(32 * 1024) for _ in range(2048)]
    kept = blocks[::2]
    del blocks
    before = anonymous_mb()
    return_free_memory()
    assert anonymous_mb() < before - 20
    assert len(kept) == 1024
