"""Tab and Shift+Tab go between the message box and the draft: no invisible stop eats typed keys."""

from __future__ import annotations

from pathlib import Path

from conftest import TEST_KEY
from textual.widgets._footer import FooterKey
from ui_helpers import idle, make_app, screen_text, send, wait_for

from studio.loopback import LoopbackServer, TextReply
from studio.ui.editor import DraftEditor
from studio.ui.help import HelpScreen
from studio.ui.prompt import PromptArea
from studio.ui.steady_footer import SteadyFooter

SIZE = (120, 36)


async def test_tab_goes_between_the_draft_and_the_message_box(server: LoopbackServer, tmp_path: Path) -> None:
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        prompt, draft = app.query_one(PromptArea), app.query_one(DraftEditor)
        draft.focus()
        await pilot.press("tab", *"hello")
        assert prompt.text == "hello"
        await pilot.press("tab", *"draft")
        assert draft.text == "draft"
        await pilot.press("shift+tab", *"!")
        assert prompt.text == "hello!"
        await pilot.press("shift+tab", *"?")
        assert draft.text == "draft?"


async def test_a_dialog_keeps_its_own_focus_order(server: LoopbackServer, tmp_path: Path) -> None:
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("tab")
        assert not isinstance(app.focused, PromptArea | DraftEditor)


async def test_the_footer_is_rebuilt_only_when_its_keys_change(
    server: LoopbackServer, tmp_path: Path
) -> None:
    """Focus moving between the boxes leaves the footer's keys as they are (Textual rebuilt them
    all each time); a reply's start shows Escape's "Stop", and its end takes it away."""
    server.queue(TextReply("The tide turned at noon.", chunk_size=4, chunk_delay=0.1))
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await idle(pilot, app)
        keys = list(app.query(FooterKey))
        assert keys and "esc Stop" not in screen_text(app)
        for _ in range(2):
            await pilot.press("tab")
            await pilot.pause(0.05)
        assert list(app.query(FooterKey)) == keys  # the same widgets: not rebuilt
        await send(pilot, "When did the tide turn?")
        await wait_for(pilot, lambda: "esc Stop" in screen_text(app))
        await idle(pilot, app)
        # A rebuild clears the old keys and mounts the new ones in one batch, painted as one frame;
        # the compositor read between the two holds neither, so wait for the keys that come back.
        await wait_for(pilot, lambda: "esc Stop" not in screen_text(app) and "f6 Batches" in screen_text(app))


async def test_a_footer_gone_before_its_rebuild_does_nothing(server: LoopbackServer, tmp_path: Path) -> None:
    """A rebuild waits for a frame: the app may close meanwhile (seen at the end of a reply)."""
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        footer = app.query_one(SteadyFooter)
        await footer.remove()
        await footer.recompose()
        await pilot.pause()
        assert app.is_running and not app.query(SteadyFooter)
