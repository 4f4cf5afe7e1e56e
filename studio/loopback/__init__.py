"""Loopback Anthropic Messages API: the real SDK talks to it over HTTP, with no network.

What ships is what ``studio --demo``, ``python -m studio.loopback`` and the benchmarks use: the
server (with the Message Batches API), SSE encoding, the simulated prompt cache, the demo's
replies and plain scripted text and tool-call replies. What only the tests need (fault scripts,
captured-stream replay, a server that records every request) lives in ``tests/fakeapi.py``, so
the wheel carries no test scaffolding. Standard library only.
"""

from .builder import Context, Outcome
from .replies import DemoReply, Reply, TextReply, ToolUseReply
from .server import LoopbackServer, Request

__all__ = [
    "Context",
    "DemoReply",
    "LoopbackServer",
    "Outcome",
    "Reply",
    "Request",
    "TextReply",
    "ToolUseReply",
]
