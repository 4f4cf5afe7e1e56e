"""Full-text search at the store: the index follows every way a conversation is written, rewritten
and deleted (triggers), drafts are indexed when saved, the best match comes first, and a query in
broken FTS5 syntax is an error in words."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_KEY

from studio.config import Settings
from studio.core.draft_sync import document
from studio.core.migrations import MIGRATIONS
from studio.core.search import SearchSyntaxError, fts_query, search
from studio.core.session import Session
from studio.core.store import SavedMessage, Store


def user(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks)}


def assistant(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "assistant", "content": list(blocks)}


def text(words: str) -> dict[str, Any]:
    return {"type": "text", "text": words}


def found(store: Store, words: str) -> list[tuple[str, int | None, int | None, str]]:
    return [(h.kind, h.session, h.position, h.marked()) for h in search(store, words)]


def test_messages_are_indexed_as_they_are_kept_rewritten_and_forgotten(tmp_path: Path) -> None:
    store = Store(tmp_path / "studio.db")
    sid = store.new_session()
    messages = [
        user(text("Tell me about the harbour"), document("full text", "gulls.md", "albatross text", 1)),
        assistant(
            text("The harbour is grey."),
            {"type": "tool_use", "id": "t1", "name": "save_draft", "input": {"content": "cormorant"}},
        ),
        user({"type": "tool_result", "tool_use_id": "t1", "content": "Saved drafts/puffin.md"}),
        assistant(text("Saved.")),
    ]
    store.save_messages(sid, messages, 0, "claude-sonnet-4-6", 1)
    assert sorted(found(store, "harbour")) == [
        ("message", sid, 0, "Tell me about the [harbour]"),
        ("message", sid, 1, "The [harbour] is grey."),
    ]
    # The studio's plumbing is not the writer's words: draft documents, tool calls and results.
    for word in ("albatross", "cormorant", "puffin"):
        assert found(store, word) == []

    # The history is rewritten from message 2 on (a rolled-back exchange): the old words go.
    store.save_messages(sid, [*messages[:2], user(text("Lighthouses instead"))], 2)
    assert found(store, "saved") == []
    assert found(store, "lighthouse") == [("message", sid, 2, "[Lighthouses] instead")]
    # A repaired conversation replaces every message.
    store.rewrite_messages(sid, [SavedMessage(user(text("Only the quay")), None, None)])
    assert found(store, "harbour") == [] and found(store, "quay") == [("message", sid, 0, "Only the [quay]")]
    store.delete_session(sid)
    assert found(store, "quay") == []
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT count(*) FROM message_text").fetchone() == (0,)


def test_a_message_the_index_cannot_read_is_still_kept(tmp_path: Path) -> None:
    """The triggers must never make keeping a message fail (the Keeper would retry it forever)."""
    store = Store(tmp_path / "studio.db")
    sid = store.new_session()
    with sqlite3.connect(store.path) as db:
        for position, content in enumerate(
            ['"a bare string"', "not json", '[1, "x", {"type": "text", "text": 5}]']
        ):
            db.execute("INSERT INTO messages VALUES (?, ?, 'user', ?, NULL, NULL)", (sid, position, content))
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT count(*) FROM messages").fetchone() == (3,)
    assert found(store, "bare") == []


def test_the_migration_indexes_conversations_kept_before_it(tmp_path: Path) -> None:
    path = tmp_path / "studio.db"
    with sqlite3.connect(path) as db:
        for number, script in enumerate(MIGRATIONS[:5], start=1):
            db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
        db.execute("INSERT INTO sessions (id, started, updated, title) VALUES (7, 0, 0, 'old one')")
        db.execute(
            "INSERT INTO messages VALUES (7, 0, 'user', ?, NULL, NULL)",
            ('[{"type": "text", "text": "an old question about kelp"}]',),
        )
    store = Store(path)
    assert found(store, "kelp") == [("message", 7, 0, "an old question about [kelp]")]
    assert search(store, "kelp")[0].title == "old one"


def test_ranking_puts_the_better_match_first(tmp_path: Path) -> None:
    store = Store(tmp_path / "studio.db")
    filler = " ".join(f"word{n}" for n in range(200))
    for words in (f"{filler} lantern {filler}", "lantern lantern, the lantern room", f"lantern {filler}"):
        store.save_messages(store.new_session(), [user(text(words))], 0)
    for n in range(10):  # documents without the word: bm25's rarity has something to weigh
        store.save_messages(store.new_session(), [user(text(f"nothing here {n}"))], 0)
    hits = search(store, "lantern")
    # Three times in a short message, then once in a shorter, then once in a long one.
    assert [h.session for h in hits] == [2, 3, 1]
    assert hits[0].score < hits[1].score < hits[2].score
    assert len(search(store, "lantern", limit=2)) == 2


def test_words_are_words_and_syntax_errors_are_said(tmp_path: Path) -> None:
    store = Store(tmp_path / "studio.db")
    store.save_messages(store.new_session(), [user(text("I don't write c++ by e-mail from the harbour"))], 0)
    assert fts_query("don't c++") == '"don\'t" "c++"'
    assert found(store, "don't")[0][3] == "I [don't] write c++ by e-mail from the harbour"
    assert len(found(store, "c++")) == 1 and len(found(store, "e-mail harb*")) == 1
    assert found(store, "harbour zeppelin") == []  # every word must be there
    assert len(found(store, '"write c" OR zeppelin')) == 1  # FTS5 syntax, on purpose
    for broken in ('"unclosed', "AND", "harbour OR", "(harbour"):
        with pytest.raises(SearchSyntaxError, match="not valid FTS5 syntax"):
            search(store, broken)


async def test_every_saved_draft_is_indexed_with_the_conversation_that_saved_it(tmp_path: Path) -> None:
    settings = Settings(api_key=TEST_KEY, drafts_dir=tmp_path / "drafts")
    session, problem = Session.open(settings)
    assert problem is None
    drafts = session.workspace.store
    drafts.save("notes/tide.md", "The tide tables for March.")  # no conversation yet
    session.conversation.add_user("about the moon")  # a conversation is kept: its row exists
    session.history.save(session.conversation, 0)
    drafts.save("moon.md", "Moonrise over the estuary.")
    drafts.save("notes/tide.md", "Tide tables, revised for April.")  # the last save wins
    hits = session.search("tide")
    assert [(h.kind, h.name, h.marked()) for h in hits] == [
        ("draft", "notes/tide.md", "[Tide] tables, revised for April.")
    ]
    assert session.search("march") == []
    [moon] = session.search("estuary")
    assert moon.session == session.history.session_id and moon.title == "about the moon"
    assert moon.path == str((tmp_path / "drafts" / "moon.md").resolve())
    assert moon.at <= time.time()
    await session.aclose(wait=5.0)
