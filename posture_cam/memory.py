"""Process resources: the cores this process may use, and keeping the memory of a long-lived process
(a batch worker, the dashboard's server) from creeping.

Measured (2026-12-01, one process analysing the 5 real clips of ../shared/data 4 times over, decode
read-ahead and the concurrent people check on): peak RSS 864 -> 918 MB and still rising, RSS between
recordings 594-712 MB. glibc gives every thread that allocates its own malloc arena (up to 8 per core)
and keeps freed pages in them; MediaPipe's graphs, the decoder's frames and the analysis allocate on
three threads, so each new recording finds its memory scattered over arenas it cannot reuse. With at
most 2 arenas and the free pages returned after each recording: peak 613 -> 648 MB, flat from the
second round on, and 217 MB between recordings.

Both calls are glibc-only and do nothing elsewhere (macOS, musl, Windows). An arena cap set in the
environment (``MALLOC_ARENA_MAX``, ``GLIBC_TUNABLES=glibc.malloc.arena_max=N``) is left as it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])


def usable_cores() -> int:
    """Cores this process may use (its CPU affinity; the core count where that is unknown)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


#: ``mallopt`` parameter number of ``M_ARENA_MAX`` in glibc's malloc.h.
_M_ARENA_MAX = -8
MALLOC_ARENAS = 2


@functools.cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    if not (hasattr(lib, "mallopt") and hasattr(lib, "malloc_trim")):
        return None  # not glibc
    return lib


def _arena_max_set_by_operator() -> bool:
    """Whether the environment already sets glibc's arena cap (``MALLOC_ARENA_MAX`` or the
    ``glibc.malloc.arena_max`` tunable): an operator's own choice is kept, not overridden."""
    return bool(os.environ.get("MALLOC_ARENA_MAX")) or "arena_max" in os.environ.get("GLIBC_TUNABLES", "")


@functools.cache
def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap the number of malloc arenas of this process (threads started later share them).

    True when the cap was set; False elsewhere than glibc, or when the environment sets the cap
    itself (``MALLOC_ARENA_MAX`` / ``GLIBC_TUNABLES=glibc.malloc.arena_max=N``: kept as set)."""
    lib = _libc()
    if lib is None or _arena_max_set_by_operator():
        return False
    return bool(lib.mallopt(_M_ARENA_MAX, int(arenas)) == 1)


def release_free_memory() -> bool:
    """Hand the freed pages of every arena back to the system (call between recordings)."""
    lib = _libc()
    if lib is None:
        return False
    lib.malloc_trim(0)
    return True


def releases_memory(func: _F) -> _F:
    """Decorate one unit of work of a long-lived process (one recording): arenas capped before it,
    freed pages returned after it, whether it succeeds or raises."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        limit_malloc_arenas()
        try:
            return func(*args, **kwargs)
        finally:
            release_free_memory()

    return wrapper  # type: ignore[return-value]
