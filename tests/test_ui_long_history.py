"""A long kept conversation reopens at its end with only a few screens of it built; scrolling up
(page by page, or Home at once) reaches its first message with the view held still as earlier
messages come in; End and a new message come back to the end; a search hit far up is shown and
marked."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import TEST_KEY
from fakeapi import RecordingServer
from ui_helpers import chat_text, dialog_text, flat, idle, make_app, pane_text, send, wait_for

from studio.core.conversation import Conversation
from studio.core.tokens import estimate_request
from studio.core.usage import format_tokens
from studio.loopback import TextReply
from studio.ui.app import StudioApp
from studio.ui.chat import ChatView, UserMessage
from studio.ui.dialogs import Conversations

SIZE = (120, 36)
TURNS = 300


def keep_long_conversation(turns: int = TURNS) -> None:
    """`turns` exchanges kept as the session keeps them; question 7 is about an albatross."""
    from studio import locations
    from studio.core.conversation import Conversation
    from studio.core.history import History
    from studio.core.keeper import Keeper
    from studio.core.store import Store
    from studio.core.usage import TokenUsage, price_reply

    cost = price_reply("claude-sonnet-4-6", TokenUsage(input=1000, output=100), None)
    keeper = Keeper()
    history, conversation = History(Store(locations.data_dir() / "studio.db"), keeper), Conversation()
    for n in range(turns):
        start = len(conversation.messages)
        conversation.add_user(f"question {n}" + (" about the albatross" if n == 7 else ""))
        conversation.add_assistant([{"type": "text", "text": f"answer {n}"}])
        history.save(conversation, start, "claude-sonnet-4-6", n + 1)
        assert keeper.flush(10) and history.store is not None and history.session_id is not None
        history.store.record(cost, session=history.session_id, reply=n + 1)
    assert keeper.close(30)


def questions_shown(app: StudioApp) -> list[int]:
    """The numbers of the questions on screen, top to bottom."""
    return [int(n) for n in re.findall(r"question (\d+)", chat_text(app))]


def mounted_questions(app: StudioApp) -> list[str]:
    return [str(m.render()) for m in app.query(UserMessage)]


async def test_a_long_conversation_reopens_at_its_end_with_only_its_end_built(
    server: RecordingServer, tmp_path: Path
) -> None:
    keep_long_conversation()
    app = make_app(server, TEST_KEY, tmp_path, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "answer 299" in chat_text(app))
        await pilot.pause(0.5)  # whatever it builds by itself, it has built
        assert "question 0" not in mounted_questions(app)  # not built until scrolled to
        assert len(app.query_one(ChatView).children) < 150
        assert "answer 299" in chat_text(app)  # still at the end
        assert len(app.session.conversation.messages) == 2 * TURNS  # Claude sees all of it
        totals = flat(pane_text(app, "#sidebar"))  # the session's totals count every reply
        assert f"in {format_tokens(1000 * TURNS)} · out {format_tokens(100 * TURNS)}" in totals
        assert "#300 Sonnet 4.6" in totals  # the newest reply first
        app.query_one("#sidebar").scroll_end(animate=False)
        await pilot.pause(0.2)
        listed = flat(pane_text(app, "#sidebar"))  # the list ends with the newest 50
        assert "#251 Sonnet 4.6" in listed and "250 earlier (in the total above)" in listed
        assert "#250 " not in listed


async def test_scrolling_up_page_by_page_reaches_the_first_message_without_jumps(
    server: RecordingServer, tmp_path: Path
) -> None:
    keep_long_conversation(120)
    app = make_app(server, TEST_KEY, tmp_path, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "answer 119" in chat_text(app))
        app.query_one(ChatView).focus()
        shown = questions_shown(app)
        for _ in range(200):
            await pilot.press("pageup")
            await pilot.pause(0.05)
            now = questions_shown(app)
            if now:  # a page up shows what was just above: nothing skipped, nothing repeated below
                assert shown[0] - max(now) <= 1 and min(now) <= shown[0], (shown, now)
                shown = now
            if "Reopened conversation" in chat_text(app):
                break
        assert shown[0] == 0
        assert "question 0" in chat_text(app)
        assert len(app.query_one(ChatView).children) < 150  # what is far below was let go
        await pilot.press("end")
        await wait_for(pilot, lambda: "answer 119" in chat_text(app))


async def test_home_reaches_the_first_message_and_a_new_message_returns_to_the_end(
    server: RecordingServer, tmp_path: Path
) -> None:
    keep_long_conversation()
    server.queue(TextReply("The newest answer."))
    app = make_app(server, TEST_KEY, tmp_path, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "answer 299" in chat_text(app))
        app.query_one(ChatView).focus()
        await pilot.press("home")
        await wait_for(pilot, lambda: "question 0" in chat_text(app))
        assert "Reopened conversation" in chat_text(app)  # what the chat said above it, too
        assert "answer 299" not in chat_text(app)
        await pilot.press("down", "down", "down")  # reading on from the start
        await pilot.pause(0.2)
        assert min(questions_shown(app)) <= 3
        await send(pilot, "one more question")
        await wait_for(pilot, lambda: "The newest answer." in chat_text(app))
        await idle(pilot, app)
        assert "one more question" in chat_text(app)
        assert len(server.message_requests[-1].json["messages"]) == 2 * TURNS + 1


async def test_a_search_hit_far_up_a_long_conversation_is_shown_and_marked(
    server: RecordingServer, tmp_path: Path
) -> None:
    keep_long_conversation()
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, Conversations))
        await pilot.press(*"albatross")
        await wait_for(pilot, lambda: "question 7 about the albatross" in dialog_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "question 7 about the albatross" in chat_text(app))
        chat = app.query_one(ChatView)
        [found] = [m for m in chat.query(UserMessage) if m.has_class("found")]
        assert "albatross" in str(found.render())
        await wait_for(pilot, lambda: found.region.y >= chat.region.y)
        assert found.region.y < chat.region.bottom  # on screen, in the chat
        assert "question 299" not in mounted_questions(app)  # the end is not built meanwhile
        assert len(chat.children) < 150
        chat.focus()
        await pilot.press("end")  # in the chat: back to where the conversation goes on
        await wait_for(pilot, lambda: "answer 299" in chat_text(app))


def keep_conversation_with_drafts(turns: int) -> Conversation:
    """`turns` exchanges, every fifth with a save_draft call carrying a draft of its own; kept as
    the session keeps them, and returned as they were kept."""
    from studio import locations
    from studio.core.history import History
    from studio.core.keeper import Keeper
    from studio.core.store import Store

    keeper = Keeper()
    history, conversation = History(Store(locations.data_dir() / "studio.db"), keeper), Conversation()
    for n in range(turns):
        start = len(conversation.messages)
        conversation.add_user(f"question {n}")
        if n % 5 == 4:
            draft = "".join(f"Line {i} of the harbour survey, version {n}.\n" for i in range(100))
            call = {"type": "tool_use", "id": f"toolu_{n:03d}", "name": "save_draft"}
            conversation.add_assistant([{**call, "input": {"filename": "survey.md", "content": draft}}])
            conversation.add_tool_results(
                [
                    {
                        "type": "tool_result",
                        "tool_use_id": f"toolu_{n:03d}",
                        "content": "Saved drafts/survey.md.",
                    }
                ]
            )
        conversation.add_assistant([{"type": "text", "text": f"answer {n}"}])
        history.save(conversation, start, "claude-sonnet-4-6", n + 1)
    assert keeper.close(30)
    return conversation


def without_cache_marks(messages: list[dict[str, object]]) -> list[dict[str, object]]:
    return [
        {**m, "content": [{k: v for k, v in b.items() if k != "cache_control"} for b in m["content"]]}  # type: ignore[attr-defined]
        for m in messages
    ]


async def test_a_reopened_long_conversation_is_estimated_counted_and_sent_whole(
    server: RecordingServer, tmp_path: Path
) -> None:
    """Only a window of it is shown, but the next request is all of it: the sidebar's estimate is
    the whole kept conversation's, and the exact count and the next message carry every message."""
    kept = keep_conversation_with_drafts(60)
    server.queue(TextReply("On we go."))
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await app.session.engine_ready.wait()
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, Conversations))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "answer 59" in chat_text(app))
        assert "question 0" not in mounted_questions(app)  # not built, yet estimated
        assert app.session.engine is not None
        whole = estimate_request(app.session.engine.count_params(kept, app.session.model))
        sidebar = lambda: flat(pane_text(app, "#sidebar"))  # noqa: E731
        await wait_for(pilot, lambda: f"≈{format_tokens(whole)} tokens" in sidebar())
        await wait_for(pilot, lambda: "exact" in sidebar() and "after a pause" not in sidebar())
        [counted] = [r.json for r in server.requests if r.path == "/v1/messages/count_tokens"]
        earlier = counted["messages"][: len(kept.messages)]  # then the draft as Claude will see it
        assert without_cache_marks(earlier) == kept.messages
        await send(pilot, "one more question")
        await wait_for(pilot, lambda: "On we go." in chat_text(app))
        await idle(pilot, app)
    sent = server.message_requests[-1].json["messages"]
    assert without_cache_marks(sent[:-1]) == kept.messages
    assert sent[-1]["content"][-1]["text"] == "one more question"
