"""Conversations on disk: kept as they happen, upgraded in place, priced again when reopened."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from studio.core.catalog import Catalog
from studio.core.conversation import Conversation, TouchedDraft
from studio.core.history import History
from studio.core.keeper import Keeper
from studio.core.spending import Spending
from studio.core.store import MIGRATIONS, Store
from studio.core.usage import TokenUsage, price_reply

SONNET = "claude-sonnet-4-6"


def test_a_database_from_the_first_release_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "studio.db"
    with sqlite3.connect(path) as db:  # what studio 0.1 left behind: one response today
        db.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version = 1; COMMIT;")
        db.execute(
            "INSERT INTO responses (at, day, model, input_tokens, output_tokens, "
            "cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, usd) "
            "VALUES (0, date('now', 'localtime'), ?, 1000, 100, 0, 0, 0, 0.0045)",
            (SONNET,),
        )
    store = Store(path)
    assert store.spent_on(date.today()) == 0.0045
    assert store.sessions() == []
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


async def test_the_kept_conversation_follows_rollbacks_and_marks_replies(tmp_path: Path) -> None:
    history = History(Store(tmp_path / "studio.db"), Keeper())
    conversation = Conversation()
    conversation.add_user("first")
    history.save(conversation, 0)
    conversation.add_assistant([{"type": "text", "text": "one"}])
    history.save(conversation, 0, SONNET, 1)
    conversation.add_user("second")
    history.save(conversation, 2)
    conversation.rollback(2)  # a refused exchange is left out of the history
    history.save(conversation, 2, SONNET, 2)

    assert history.keeper is not None and history.keeper.flush(5)
    assert history.session_id is not None
    saved = await History(Store(tmp_path / "studio.db"), Keeper()).load(history.session_id)
    assert saved is not None
    assert [m.message for m in saved.messages] == conversation.messages
    assert [(m.model, m.reply) for m in saved.messages] == [(None, None), (SONNET, 1)]
    summary = (await history.sessions())[0]
    assert (summary.title, summary.replies) == ("first", 1)


async def test_the_draft_a_tool_call_touched_is_kept_beside_the_messages(tmp_path: Path) -> None:
    def exchange(conversation: Conversation, call: str, touched: TouchedDraft) -> None:
        conversation.add_user(f"do {call}")
        conversation.add_assistant([{"type": "tool_use", "id": call, "name": "save_draft", "input": {}}])
        conversation.add_tool_results([{"type": "tool_result", "tool_use_id": call, "content": "done"}])
        conversation.add_assistant([{"type": "text", "text": "done"}])
        conversation.touched[call] = touched

    history = History(Store(tmp_path / "studio.db"), Keeper())
    conversation = Conversation()
    exchange(conversation, "toolu_1", TouchedDraft("saved", "a.md"))
    history.save(conversation, 0, SONNET, 1)
    exchange(conversation, "toolu_2", TouchedDraft("edited", "a.md"))
    history.save(conversation, 4, SONNET, 2)
    conversation.rollback(4)  # refused: its call is forgotten, on disk too
    assert conversation.touched == {"toolu_1": TouchedDraft("saved", "a.md")}
    history.save(conversation, 4, SONNET, 2)
    assert history.keeper is not None and history.keeper.flush(5)
    assert history.session_id is not None

    reopened = History(Store(tmp_path / "studio.db"), Keeper())
    saved = await reopened.load(history.session_id)
    assert saved is not None and saved.touched == {"toolu_1": TouchedDraft("saved", "a.md")}
    again = Conversation()
    again.restore([m.message for m in saved.messages], saved.touched)
    assert again.messages == conversation.messages and again.touched == saved.touched
    assert "touched" not in str(again.messages)  # the API gets the blocks as they were
    reopened.save(again, 0, SONNET, 1)  # rewriting from the start keeps what was restored
    assert reopened.keeper is not None and reopened.keeper.flush(5)
    saved = Store(tmp_path / "studio.db").load_session(history.session_id)
    assert saved is not None and saved.touched == {"toolu_1": TouchedDraft("saved", "a.md")}


async def test_reopening_an_intact_conversation_leaves_it_as_it_is_on_disk(tmp_path: Path) -> None:
    """Only a conversation that breaks the API's rules is written back when reopened: rewriting
    every message (and its search index) each time would cost seconds at 1,000 replies."""
    path = tmp_path / "studio.db"
    history = History(Store(path), Keeper())
    conversation = Conversation()
    conversation.add_user("make a note")
    conversation.add_assistant([{"type": "tool_use", "id": "toolu_1", "name": "save_draft", "input": {}}])
    conversation.add_tool_results([{"type": "tool_result", "tool_use_id": "toolu_1", "content": "done"}])
    conversation.add_assistant([{"type": "text", "text": "Noted."}])
    history.save(conversation, 0, SONNET, 1)
    broken = History(Store(path), Keeper())
    lost = Conversation()
    lost.add_user("save it")
    lost.add_assistant([{"type": "tool_use", "id": "toolu_2", "name": "save_draft", "input": {}}])
    broken.save(lost, 0, SONNET, 1)  # studio stopped before the tool ran: no result kept
    assert history.keeper is not None and history.keeper.flush(5)
    assert broken.keeper is not None and broken.keeper.flush(5)
    with sqlite3.connect(path) as db:  # what writes to the messages, from now on
        db.executescript(
            "CREATE TABLE written (session_id INTEGER);"
            "CREATE TRIGGER note_write AFTER INSERT ON messages"
            " BEGIN INSERT INTO written VALUES (new.session_id); END;"
        )

    for kept in (history, broken):
        assert kept.session_id is not None
        reader = History(Store(path), Keeper())
        saved = await reader.load(kept.session_id)
        assert saved is not None and reader.keeper is not None and reader.keeper.flush(5)
    assert [m.message for m in saved.messages][-1]["content"][0]["tool_use_id"] == "toolu_2"
    with sqlite3.connect(path) as db:
        written = {row[0] for row in db.execute("SELECT session_id FROM written")}
    assert written == {broken.session_id}  # the mended one was kept mended; the intact one untouched


def test_a_store_that_fails_keeps_trying_and_loses_nothing(tmp_path: Path) -> None:
    said: list[str | None] = []
    keeper = Keeper(said.append)
    history = History(Store(tmp_path / "studio.db"), keeper)
    (tmp_path / "studio.db").unlink()
    (tmp_path / "studio.db").mkdir()  # the database can no longer be opened
    conversation = Conversation()
    conversation.add_user("still here")
    history.save(conversation, 0)
    assert not keeper.flush(1.0)  # not landed, not dropped: still queued
    assert conversation.messages[0]["content"][0]["text"] == "still here"
    (tmp_path / "studio.db").rmdir()  # the disk comes back
    store = Store(tmp_path / "studio.db")
    assert keeper.flush(5.0)
    assert history.session_id is not None
    saved = store.load_session(history.session_id)
    assert saved is not None and saved.messages[0].message == conversation.messages[0]
    assert len(said) == 2 and said[1] is None  # told once when it stalled, once when it recovered
    assert said[0] is not None and "not being kept on disk right now" in said[0]
    assert keeper.problem is None


def test_reopened_replies_are_priced_again_and_not_counted_twice_today(tmp_path: Path) -> None:
    store = Store(tmp_path / "studio.db")
    usage = TokenUsage(input=1000, output=100)
    price = Catalog.builtin().info(SONNET).price
    cost = price_reply(SONNET, usage, price)
    session = store.new_session()
    store.record(cost, session=session, reply=1)
    store.record(cost, session=session, reply=1)  # a second round of the same reply
    store.record(cost, session=store.new_session(), reply=1)  # another conversation, also today

    spending = Spending(store)
    assert round(spending.daily_usd, 6) == 0.0135
    saved = store.load_session(session)
    assert saved is not None
    spending.restart(saved.responses, lambda model: price)
    [entry] = spending.ledger.entries
    assert (entry.number, entry.responses, round(entry.usd or 0, 6)) == (1, 2, 0.009)
    assert round(spending.daily_usd, 6) == 0.0135  # the reopened replies were already in today's
    assert spending.ledger.start_reply(SONNET).number == 2


def test_the_database_is_private(tmp_path: Path) -> None:
    import stat

    Store(tmp_path / "studio.db")
    assert stat.S_IMODE((tmp_path / "studio.db").stat().st_mode) == 0o600
    (tmp_path / "old.db").touch(mode=0o644)  # as the first release left it
    Store(tmp_path / "old.db")
    assert stat.S_IMODE((tmp_path / "old.db").stat().st_mode) == 0o600
