"""When the garbage collector may stop the loop: not while the studio starts; and what the
allocator keeps of big buffers once they are freed.

Start-up builds about 200,000 objects that live until exit (Textual's, the SDK's): a full
collection walking them cost a quarter of the time to the first paint. The collector is off from
the command line (cli.py) until the engine is loaded, then what was built is frozen out of its sight.

Full collections (35-115 ms each over what is not frozen) come after a fixed number of young ones,
so with Python's thresholds a 900 KB save_draft saw eleven, its longest stalls; with young
collections every 10,000 allocations instead of 700, it sees one (benchmarks/big_draft.py).

Tried and left out: no automatic full collection while a reply streams, one at its end. It took
the 35-115 ms full collections out of a 900 KB save_draft, but the one at the end of a 2 MB reply
then walked everything the reply left and stopped the loop for 0.6 s, and memory grew by a fifth.

glibc's malloc raises its mmap threshold to the size of each big buffer freed (up to 32 MB) and
then keeps up to twice that free in the heap instead of giving it back. A long conversation makes
such buffers with every request (the JSON of 1,000 replies is 11 MB, its parts as much again, the
SDK's copies): after one exchange the studio kept 35 MB it no longer used, after each exact count
10-18 MB. With fixed thresholds a buffer of BIG bytes or more has pages of its own, returned when
it is freed (benchmarks/long_history.py; 141 MB instead of 178 after a reply at 1,000 replies).
"""

from __future__ import annotations

import gc
import sys

YOUNG = 10_000  # allocations (less deallocations) between young collections; Python's is 700
BIG = 1 << 20  # bytes: from this size a buffer is mapped apart and unmapped when freed
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)


def started() -> None:
    """The studio is up: what start-up built is out of every later collection; collect again,
    the young generation 14 times less often, and so the full collections too."""
    gc.freeze()
    _young, middle, full = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, full)
    gc.enable()
    _big_buffers_given_back()


def _big_buffers_given_back() -> None:
    """Fixed malloc thresholds (glibc; elsewhere nothing changes): freed big buffers go back."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # after the first paint, with the engine

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # no mallopt in this C library
        return
    mallopt(M_TRIM_THRESHOLD, BIG)
    mallopt(M_MMAP_THRESHOLD, BIG)
