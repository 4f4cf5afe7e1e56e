"""F5's search box: typing searches every kept conversation and draft (in a thread, after a pause);
choosing a message reopens its conversation scrolled to it, marked for a moment; choosing a draft
opens it in the editor; an empty box gives the list back; broken FTS5 syntax is said in words."""

from __future__ import annotations

from contextlib import aclosing
from pathlib import Path

from conftest import TEST_KEY
from fakeapi import RecordingServer
from ui_helpers import chat_text, dialog_text, make_app, screen_text, wait_for

from studio.config import Settings
from studio.core.session import Session
from studio.loopback import TextReply
from studio.ui.chat import ChatView, UserMessage
from studio.ui.dialogs import Conversations
from studio.ui.editor import DraftEditor

SIZE = (120, 36)


async def kept_conversations(server: RecordingServer, tmp_path: Path) -> None:
    """A long conversation whose second question mentions an albatross, then a short one; and a
    draft the writer saved."""
    session, _ = Session.open(
        Settings(api_key=TEST_KEY, base_url=server.base_url, drafts_dir=tmp_path / "drafts")
    )
    await session.start()
    questions = [
        "Where do we start?",
        "Tell me about the albatross",
        *(f"Question {n}" for n in range(2, 30)),
    ]
    for n, question in enumerate(questions):
        server.queue(TextReply(f"Answer {n}.", input_tokens=100, output_tokens=10))
        async with aclosing(session.send(question)) as events:
            async for _ in events:
                pass
    session.workspace.store.save("kelp.md", "Kelp forests sway in the swell.\n")
    session.new_conversation()
    server.queue(TextReply("Orchards."))
    async with aclosing(session.send("What about the orchard?")) as events:
        async for _ in events:
            pass
    await session.aclose(wait=5.0)


async def test_a_search_hit_opens_its_conversation_at_the_message(
    server: RecordingServer, tmp_path: Path
) -> None:
    await kept_conversations(server, tmp_path)
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, Conversations))
        await pilot.press(*"albatros")  # typed in the list: it goes to the search box
        await wait_for(pilot, lambda: "Where do we start? · you" in dialog_text(app))
        assert "Tell me about the albatross" in dialog_text(app)  # the snippet, under its conversation
        assert "What about the orchard?" not in dialog_text(app)  # the list gave way to the hits
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Tell me about the albatross" in chat_text(app))
        chat = app.query_one(ChatView)
        [found] = [m for m in chat.query(UserMessage) if m.has_class("found")]
        assert "albatross" in str(found.render())
        await wait_for(pilot, lambda: chat.scroll_y > 0 and found.region.y >= chat.region.y)
        assert found.region.y < chat.region.bottom  # on screen, in the chat
        assert "Answer 29." not in chat_text(app)  # scrolled up to it, away from the end
        await wait_for(pilot, lambda: not found.has_class("found"))  # marked for a moment only
        # The conversation goes on from its end.
        assert app.session.history.session_id == 1
        assert len(app.session.conversation.messages) == 60


async def test_a_draft_hit_opens_the_draft_and_an_empty_box_gives_the_list_back(
    server: RecordingServer, tmp_path: Path
) -> None:
    await kept_conversations(server, tmp_path)
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, Conversations))
        await pilot.press(*'"unclosed')
        await wait_for(pilot, lambda: "not valid FTS5 syntax" in dialog_text(app))
        for _ in range(len('"unclosed')):
            await pilot.press("backspace")
        await wait_for(pilot, lambda: "+ New conversation" in dialog_text(app))
        assert "What about the orchard?" in dialog_text(app)
        await pilot.press(*"swell")
        await wait_for(pilot, lambda: "draft kelp.md" in dialog_text(app))
        assert "Kelp forests sway in the swell." in dialog_text(app)
        await pilot.press("down", "delete")  # from the box to the list; a hit is not forgotten
        await pilot.pause(0.3)
        assert "Forget this conversation?" not in screen_text(app)  # no question: nothing to delete
        assert isinstance(app.screen, Conversations) and "draft kelp.md" in dialog_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.query_one(DraftEditor).text == "Kelp forests sway in the swell.\n")
        assert app.session.workspace.draft.name == "kelp.md"
