"""Helpers for Pilot tests: read the screen as text, wait for things a user would wait for."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from studio.config import Settings
from studio.loopback import LoopbackServer
from studio.ui.app import StudioApp
from studio.ui.prompt import PromptArea


def screen_text(app: StudioApp) -> str:
    """What the terminal shows right now, one line per row (the active screen, modals included)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def pane_text(app: StudioApp, selector: str) -> str:
    """What the terminal shows inside one widget's region: other panes' text left out."""
    region = app.screen.query_one(selector).region
    strips = app.screen._compositor.render_strips()
    rows = strips[region.y : region.bottom]
    return "\n".join(strip.crop(region.x, region.right).text for strip in rows)


def dialog_text(app: StudioApp) -> str:
    """The open dialog's text ("" while none is shown yet)."""
    if not app.screen.query(".dialog"):
        return ""
    return flat(pane_text(app, ".dialog"))


def chat_text(app: StudioApp) -> str:
    """The conversation pane as the writer reads it, wrapping and borders folded away."""
    return flat(pane_text(app, "#chat"))


def flat(text: str) -> str:
    """Screen text with wrapping and borders folded away, for finding phrases that wrap."""
    for border in "│▌█▊▎▏╭╮╰╯─":
        text = text.replace(border, " ")
    return " ".join(text.split())


async def wait_for(pilot: Pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting; screen was:\n{screen_text(pilot.app)}")
        await pilot.pause(0.02)


def make_app(server: LoopbackServer | None, key: str | None, tmp_path: Path, **kw: object) -> StudioApp:
    # Titles are asked for in the background after a first reply: a test of something else keeps
    # the requests and costs to the ones it scripts (tests/test_ui_titles.py turns them on).
    kw.setdefault("titles", False)
    settings = Settings(
        api_key=key, base_url=server.base_url if server else None, drafts_dir=tmp_path / "drafts", **kw
    )  # type: ignore[arg-type]
    return StudioApp(settings)


async def send(pilot: Pilot, text: str) -> None:
    """Put `text` in the message box (as a paste would) and press Enter."""
    prompt = pilot.app.query_one(PromptArea)
    prompt.focus()
    prompt.insert(text)
    await pilot.press("enter")


async def idle(pilot: Pilot, app: StudioApp) -> None:
    """Wait until no reply is streaming, nor about to: a message just sent may still be in its
    checks (the budget, the size estimate, which waits for the engine) before its turn starts."""

    def busy() -> bool:
        return app.session.running or any(
            worker.group in ("send", "turn") and not worker.is_finished for worker in app.workers
        )

    await wait_for(pilot, lambda: not busy())


async def open_first_draft(pilot: Pilot, app: StudioApp, text: str) -> None:
    """Ctrl+O, Enter on the newest draft, and wait until the editor holds `text`."""
    from studio.ui.dialogs import OpenDraft

    await pilot.press("ctrl+o")
    await wait_for(pilot, lambda: isinstance(app.screen, OpenDraft))
    await pilot.press("enter")
    await wait_for(pilot, lambda: app.main_screen.draft_pane.editor.text == text)
