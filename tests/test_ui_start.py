"""The writing screen at start: whole in its first frame, with keys going where they were typed, and
its dialogs styled although their stylesheet is read only when the first opens."""

from __future__ import annotations

from pathlib import Path

from conftest import TEST_KEY
from ui_helpers import flat, make_app, pane_text, wait_for

from studio.loopback import LoopbackServer
from studio.ui.editor import DraftEditor
from studio.ui.prompt import PromptArea

SIZE = (120, 36)


async def test_the_writing_screen_comes_whole_and_keys_go_where_typed(
    server: LoopbackServer, tmp_path: Path
) -> None:
    """Built after the opening frame (studio/ui/opening.py), nothing in it waits for a later one."""
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        draft, prompt = app.query_one(DraftEditor), app.query_one(PromptArea)
        assert draft.language == "markdown"
        assert "Next message" in flat(pane_text(app, "#sidebar"))
        assert "Draft · untitled" in pane_text(app, "#draft-pane")
        app.screen.set_focus(draft)
        await pilot.press(*"early and later")
        assert draft.text == "early and later"
        draft.undo()
        assert draft.text == ""  # the words typed at once are one undo step
        draft.redo()
        await pilot.press("tab", *"hi")
        assert prompt.text == "hi"
        await wait_for(pilot, lambda: "Draft · untitled ●" in pane_text(app, "#draft-pane"))


async def test_dialogs_are_styled_when_first_shown(server: LoopbackServer, tmp_path: Path) -> None:
    """The dialogs' stylesheet is read when the first of them opens (not at start): each still
    shows as a bordered box of its width, in the middle of the screen."""
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "Next message" in flat(pane_text(app, "#sidebar")))
        for key, box, width in (("f1", "#help", 70), ("f2", "#picker", 76)):
            await pilot.press(key)
            await wait_for(pilot, lambda box=box: bool(app.screen.query(box)))  # type: ignore[misc]
            await pilot.pause()
            region = app.screen.query_one(box).region
            assert (region.width, region.x) == (width, (SIZE[0] - width) // 2)
            assert pane_text(app, box).startswith("╭")  # its rounded border
            await pilot.press("escape")
            await wait_for(pilot, lambda box=box: not app.screen.query(box))  # type: ignore[misc]


async def test_the_key_dialog_at_start_is_styled(tmp_path: Path) -> None:
    """Without a key, the first dialog opens right after the first frame: styled all the same."""
    app = make_app(None, None, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.query("#onboarding")))
        await pilot.pause()
        region = app.screen.query_one("#onboarding").region
        assert (region.width, region.x) == (80, (SIZE[0] - 80) // 2)
        assert "API key" in flat(pane_text(app, "#onboarding"))
