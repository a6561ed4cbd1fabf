"""posture_cam.memory: the malloc arena cap and the trim between recordings (glibc only)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from posture_cam.memory import limit_malloc_arenas, release_free_memory

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not GLIBC, reason="mallopt/malloc_trim are glibc's")
def test_trim_returns_freed_pages_to_the_system() -> None:
    """Many small blocks freed at once stay in the process until trimmed (measured in a fresh process
    so that this test's own heap does not matter)."""
    script = """
import gc
from posture_cam.memory import limit_malloc_arenas, release_free_memory

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
assert limit_malloc_arenas()
blocks = [bytearray(2000) for _ in range(100_000)]  # ~200 MB of small blocks, below the mmap threshold
keep = blocks[::500]  # a few survivors pin the top of the heap, so free() alone cannot shrink it
del blocks
gc.collect()
before = rss_mb()
assert release_free_memory()
after = rss_mb()
print(before, after)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    before, after = (float(v) for v in out.stdout.split())
    assert before - after > 100, (before, after)


def test_calls_are_safe_to_repeat() -> None:
    assert limit_malloc_arenas() == limit_malloc_arenas()
    assert release_free_memory() == release_free_memory() == GLIBC
