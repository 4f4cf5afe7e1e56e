"""Tab and Shift+Tab go between the message box and the draft: no invisible stop eats typed keys."""

from __future__ import annotations

from pathlib import Path

from conftest import TEST_KEY
from ui_helpers import make_app, wait_for

from studio.loopback import LoopbackServer
from studio.ui.editor import DraftEditor
from studio.ui.help import HelpScreen
from studio.ui.prompt import PromptArea

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
