"""When a request that failed before any byte of a reply is worth sending again, and after how long.

The SDK would retry by itself, silently, sleeping through a long retry-after while the writer sees
"writing …". The engine retries instead (same policy as the SDK), so it can say why it waits, count
down, and stop at once on Escape. Nothing is retried after a 200: a reply that broke off mid-stream
is reported, never silently sent (and paid for) twice.
"""

from __future__ import annotations

import random

import anthropic

from studio.core.errors import retry_after
from studio.core.events import Waiting, WaitKind

RETRY_CEILING = 300.0  # seconds: a longer retry-after is not waited for; the turn fails saying so
INITIAL_DELAY, MAX_DELAY = 0.5, 8.0  # the SDK's backoff: 0.5 s doubling to 8 s, with jitter


def _kind(status: int) -> WaitKind | None:
    if status == 429:
        return "rate_limit"
    if status == 529:
        return "overloaded"
    if status in (408, 409) or status >= 500:
        return "server"
    return None


def backoff(retries_done: int) -> float:
    """Exponential backoff with up to 25% jitter, as the SDK does it."""
    return min(INITIAL_DELAY * 2.0 ** min(retries_done, 30), MAX_DELAY) * (1 - 0.25 * random.random())


def retry_wait(exc: BaseException, retries_done: int) -> Waiting | None:
    """The wait before retrying after `exc`, or None if `exc` is not worth a retry."""
    asked: float | None = None
    if isinstance(exc, anthropic.APIStatusError):
        headers = exc.response.headers
        should = headers.get("x-should-retry")
        kind = _kind(exc.status_code) if should != "false" else None
        if should == "true":
            kind = kind or "server"
        asked = retry_after(headers)
    elif isinstance(exc, anthropic.APIConnectionError):  # timeouts included
        kind = "connection"
    else:
        return None
    if kind is None:
        return None
    seconds = asked if asked is not None and asked > 0 else backoff(retries_done)
    return Waiting(kind, seconds, retries_done + 1)
