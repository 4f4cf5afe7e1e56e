"""When the garbage collector may stop the loop: not while the studio starts.

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
"""

from __future__ import annotations

import gc

YOUNG = 10_000  # allocations (less deallocations) between young collections; Python's is 700


def started() -> None:
    """The studio is up: what start-up built is out of every later collection; collect again,
    the young generation 14 times less often, and so the full collections too."""
    gc.freeze()
    _young, middle, full = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, full)
    gc.enable()
