"""Loopback Anthropic Messages API: the real SDK talks to it over HTTP, with no network.

Used by the tests, the benchmarks and the studio's ``--demo`` mode. Standard library only.
"""

from .builder import Context, Outcome
from .replies import (
    DemoReply,
    DropMidStream,
    ErrorMidStream,
    HttpError,
    Replay,
    Reply,
    TextReply,
    ToolUseReply,
)
from .server import LoopbackServer, RecordedRequest

__all__ = [
    "Context",
    "DemoReply",
    "DropMidStream",
    "ErrorMidStream",
    "HttpError",
    "LoopbackServer",
    "Outcome",
    "RecordedRequest",
    "Replay",
    "Reply",
    "TextReply",
    "ToolUseReply",
]
