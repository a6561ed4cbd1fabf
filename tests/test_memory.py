"""posture_cam.memory: the malloc arena cap and the trim between recordings (glibc only)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from posture_cam.memory import limit_malloc_arenas, release_free_memory

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def _clean_env() -> dict[str, str]:
    """This environment without an arena cap of its own (MALLOC_ARENA_MAX, GLIBC_TUNABLES), which
    limit_malloc_arenas() keeps and which would hide the uncapped arena count."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUNABLES"))}


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
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=_clean_env()
    )
    before, after = (float(v) for v in out.stdout.split())
    assert before - after > 100, (before, after)


_ARENAS_SCRIPT = """
import ctypes, os, sys, tempfile, threading
from posture_cam.memory import limit_malloc_arenas

libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
capped = limit_malloc_arenas() if sys.argv[1] == "cap" else None
n = 6
barrier = threading.Barrier(n + 1)

def work():
    keep = [bytearray(4096) for _ in range(50)]  # > 512 bytes: glibc malloc, in this thread's arena
    barrier.wait()  # all threads alive at once, so none can take over an exited thread's arena
    barrier.wait()

threads = [threading.Thread(target=work) for _ in range(n)]
for t in threads:
    t.start()
barrier.wait()
fd, path = tempfile.mkstemp()
os.close(fd)
fp = libc.fopen(path.encode(), b"w")
libc.malloc_info(0, fp)
libc.fclose(fp)
barrier.wait()
for t in threads:
    t.join()
print(capped, open(path).read().count("<heap nr="))
os.unlink(path)
"""


@pytest.mark.skipif(not GLIBC, reason="mallopt/malloc_info are glibc's")
def test_arena_cap_holds_for_threads_started_after_it() -> None:
    """Six threads allocating at the same time get an arena each (7 with the main one); after
    limit_malloc_arenas() they share MALLOC_ARENAS (counted from glibc's malloc_info). An arena cap
    the operator set in the environment is kept as it is."""
    from posture_cam.memory import MALLOC_ARENAS

    def arenas(mode: str, **extra_env: str) -> tuple[str, int]:
        out = subprocess.run(
            [sys.executable, "-c", _ARENAS_SCRIPT, mode],
            capture_output=True,
            text=True,
            check=True,
            env={**_clean_env(), **extra_env},
        )
        capped, count = out.stdout.split()
        return capped, int(count)

    assert arenas("free")[1] >= 4  # the count sees the threads' arenas (so the cap below is measured)
    capped, count = arenas("cap")
    assert capped == "True" and count <= MALLOC_ARENAS
    capped, count = arenas("cap", MALLOC_ARENA_MAX="4")
    assert capped == "False" and MALLOC_ARENAS < count <= 4


def test_calls_are_safe_to_repeat() -> None:
    from posture_cam.memory import _arena_max_set_by_operator

    applies = GLIBC and not _arena_max_set_by_operator()
    assert limit_malloc_arenas() is applies  # glibc accepted the cap (cached after the first call)
    assert limit_malloc_arenas() is applies
    assert release_free_memory() is release_free_memory() is GLIBC
