"""When the garbage collector may stop the loop: not while the studio starts or a reply streams.

Start-up builds about 200,000 objects that live until exit (Textual's, the SDK's): a full
collection walking them cost a quarter of the time to the first paint. The collector is off from
the command line (cli.py) until the engine is loaded, then what was built is frozen out of its sight.

The few objects left then count as the whole old generation, and Python starts a full collection
whenever they grow by a quarter: while a 900 KB save_draft streamed, eleven of 35-115 ms each, the
longest stalls of the loop (benchmarks/big_draft.py, a loaded machine). So during a reply they
wait (young objects are still collected as usual), and one runs at its end, after the frame that
shows it, while the writer reads.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from textual.widget import Widget

FULL_AFTER = 1_000_000  # young-generation collections before a full one, while a reply streams


def started() -> None:
    """The studio is up: what start-up built is out of every later collection; collect again."""
    gc.freeze()
    gc.enable()


@asynccontextmanager
async def full_collections_after(widget: Widget) -> AsyncIterator[None]:
    """No automatic full collection inside; one after the next frame of `widget`'s screen."""
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_AFTER)
    try:
        yield
    finally:
        gc.set_threshold(young, middle, full)
        widget.call_after_refresh(gc.collect)
