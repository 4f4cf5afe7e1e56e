"""When the garbage collector may stop the loop: not while the studio starts; and what the
allocator keeps of big buffers once they are freed.

Start-up builds about 200,000 objects that live until exit (Textual's, the SDK's): a full
collection walking them cost a quarter of the time to the first paint. The collector is off from
the command line (cli.py) until the engine is loaded and prepared (Session.prepare), then what
was built is frozen out of its sight.

Full collections (35-115 ms each over what is not frozen) come after a fixed number of young ones,
so with Python's thresholds a 900 KB save_draft saw eleven, its longest stalls; with young
collections every 10,000 allocations instead of 700, it sees one (benchmarks/big_draft.py).

Tried and left out: no automatic full collection while a reply streams, one at its end. It took
the 35-115 ms full collections out of a 900 KB save_draft, but the one at the end of a 2 MB reply
then walked everything the reply left and stopped the loop for 0.6 s, and memory grew by a fifth.
Also tried: the collector paused while a frame is painted, so that a collection falling in a frame
(15-35 ms, most of it the frame's own strips) runs after it: no better longest stall (A/B, 5 rounds).

glibc's malloc raises its mmap threshold to the size of each big buffer freed (up to 32 MB) and
then keeps up to twice that free in its heap instead of giving it back. A long conversation makes
such buffers with every request (the JSON of 1,000 replies is 11 MB, its parts as much again, the
SDK's copies): after one exchange the studio kept 35 MB it no longer used, after each exact count
10-18 MB. `give_back` returns the free pages (malloc_trim) once such a request is done. Tried and
left out: fixed thresholds (mallopt), which return them as well, but then every buffer of 1 MB or
more is mapped afresh: a 2 MB string cost 1 ms instead of 50 us, on every frame of a long reply.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from functools import cache

YOUNG = 10_000  # allocations (less deallocations) between young collections; Python's is 700


def started() -> None:
    """The studio is up: what start-up built is out of every later collection; collect again,
    the young generation 14 times less often, and so the full collections too."""
    gc.freeze()
    _young, middle, full = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, full)
    gc.enable()


def give_back() -> None:
    """Return the free pages the allocator keeps to the system (glibc; elsewhere nothing). Walks
    the heap, a few milliseconds: call it in a thread once the big buffers of a request are freed."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # a C library without it (musl)
        return None
    return trim
