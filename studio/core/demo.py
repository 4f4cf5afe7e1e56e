"""`--demo`, for every front end: the built-in loopback server, and settings pointed at it."""

from __future__ import annotations

from typing import Protocol

from studio.loopback import LoopbackServer

DEMO_KEY = "studio-demo-key"  # the loopback server takes any key: this one is never a real one


class DemoSettings(Protocol):
    api_key: str | None
    api_key_source: str | None
    base_url: str | None
    demo: bool


def start_demo(settings: DemoSettings) -> LoopbackServer:
    """Start the demo server and send everything `settings` drives to it (the store too: the
    demo's made-up replies and costs are kept apart). The caller stops the server."""
    server = LoopbackServer().start()
    settings.base_url, settings.api_key, settings.api_key_source = server.base_url, DEMO_KEY, "demo"
    settings.demo = True
    return server
