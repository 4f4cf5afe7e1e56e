"""The writing screen's first frame comes before its other panes are filled: keys typed at once,
before the sidebar's figures and the draft's highlighting exist, land where they were typed."""

from __future__ import annotations

from pathlib import Path

from conftest import TEST_KEY
from ui_helpers import flat, make_app, pane_text, wait_for

from studio.loopback import LoopbackServer
from studio.ui.editor import DraftEditor
from studio.ui.prompt import PromptArea

SIZE = (120, 36)


async def test_keys_typed_before_the_panes_are_filled_stay_in_order(
    server: LoopbackServer, tmp_path: Path
) -> None:
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        draft, prompt = app.query_one(DraftEditor), app.query_one(PromptArea)
        await wait_for(pilot, lambda: draft.language == "markdown")  # after the first frame
        draft.language = None  # as it was in the first frame: the keys typed then come first
        app.screen.set_focus(draft)
        await pilot.press(*"early")
        draft.highlight_markdown()
        await pilot.press(*" and later")
        assert draft.text == "early and later"  # a new document for the language kept the cursor
        draft.undo()
        assert draft.text == ""  # and the words typed across it are one undo step
        draft.redo()
        await pilot.press("tab", *"hi")
        assert prompt.text == "hi"
        await wait_for(pilot, lambda: "Next message" in flat(pane_text(app, "#sidebar")))
        await wait_for(pilot, lambda: "Draft · untitled ●" in pane_text(app, "#draft-pane"))
