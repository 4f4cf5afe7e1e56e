"""The conversation kept on disk as it happens, so a quit, a crash or a kill never loses a reply.

A session row is created on the first thing worth keeping (a sent message, or text typed into the
message box), not at start-up: opening and closing the studio leaves no empty conversations behind.
Every write goes through the Keeper (its own thread, in order, retried): the UI never waits on
the disk. Reads run on a worker thread, after what was queued before them has landed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from studio.core.conversation import Conversation, repaired
from studio.core.drafts import SavedDraft
from studio.core.growing import GrowingText
from studio.core.keeper import Keeper, SessionRef
from studio.core.store import (
    PartialStatus,
    SavedMessage,
    SavedPartial,
    SavedSession,
    SessionSummary,
    Store,
)

if TYPE_CHECKING:
    from studio.core.search import Hit

READ_WAIT = 2.0  # seconds a read waits for earlier writes to land before reading anyway
KEEP_EVERY = 1.0  # seconds between copies of a streaming reply's text


class History:
    def __init__(self, store: Store | None, keeper: Keeper | None):
        self.store = store
        self.keeper = keeper
        self.session = SessionRef()
        self._created = False  # the current session's row is queued (or written)
        self._context: tuple[str | None, str] | None = None
        self.named = ""  # the title a model made for the open conversation ("" if none yet)
        self.title_asked = False  # one title request per conversation opened, even one that failed

    @property
    def session_id(self) -> int | None:
        """The open conversation's id, once its row has been written."""
        return self.session.id

    def _submit(self, write: Callable[[Store, int], None]) -> None:
        """Queue a write for the open conversation, creating its row first if need be."""
        store, keeper, ref = self.store, self.keeper, self.session
        if store is None or keeper is None:
            return
        if not self._created:
            self._created = True

            def create() -> None:
                if ref.id is None:
                    ref.id = store.new_session()

            keeper.submit(create)

        def run() -> None:
            if ref.id is not None:
                write(store, ref.id)

        keeper.submit(run)

    def save(
        self, conversation: Conversation, start: int, model: str | None = None, reply: int | None = None
    ) -> None:
        """Store the conversation from message `start` on, with the draft each of its tool calls
        touched (see `Store.save_messages`)."""
        snapshot = [dict(m, content=list(m["content"])) for m in conversation.messages]
        touched = dict(conversation.touched)
        self._submit(
            lambda store, session: store.save_messages(session, snapshot, start, model, reply, touched)
        )

    def keep_context(self, draft: str | None, unsent: str) -> None:
        """Remember the open draft and the unsent message; a no-op when nothing changed."""
        if (draft, unsent) == self._context or (not self._created and not unsent.strip()):
            return
        self._context = (draft, unsent)
        self._submit(lambda store, session: store.save_context(session, draft=draft, unsent=unsent))

    def keep_draft(self, saved: SavedDraft, text: str) -> None:
        """A draft was saved: keep its text for search, with the open conversation (if its row
        exists by the time the write runs). Never creates a conversation of its own."""
        store, keeper, ref = self.store, self.keeper, self.session
        if store is not None and keeper is not None:
            at = time.time()
            keeper.submit(lambda: store.keep_draft(str(saved.path), saved.name, text, ref.id, at))

    def search(self, words: str, limit: int = 20) -> list[Hit]:
        """Full-text search (see core.search), after queued writes land. Reads the store on the
        calling thread: call it off the UI loop. Raises SearchSyntaxError."""
        if self.store is None:
            return []
        if self.keeper is not None:
            self.keeper.flush(READ_WAIT)
        from studio.core.search import search  # FTS queries: not on the start-up path

        return search(self.store, words, limit)

    def name(self, session: SessionRef, title: str) -> None:
        """Keep the title made for the conversation `session` (the open one, or one the writer
        left while its title was being made)."""
        if session is self.session:
            self.named = title
        store, keeper = self.store, self.keeper
        if store is None or keeper is None:
            return

        def write() -> None:
            if session.id is not None:
                store.name_session(session.id, title)

        keeper.submit(write)

    def keep_partial(self, key: str, partial: SavedPartial) -> None:
        self._submit(lambda store, session: store.keep_partial(key, session, partial))

    def drop_partial(self, key: str) -> None:
        store = self.store
        if store is not None and self.keeper is not None:
            self.keeper.submit(lambda: store.drop_partial(key))

    async def _read(self, read: Callable[[Store], Any]) -> Any:
        store = self.store
        if store is None:
            return None
        if self.keeper is not None:
            await asyncio.to_thread(self.keeper.flush, READ_WAIT)
        return await asyncio.to_thread(read, store)

    async def sessions(self) -> list[SessionSummary]:
        """The conversations picker's list, read off the UI loop after queued writes land."""
        try:
            return await self._read(lambda store: store.sessions()) or []
        except (sqlite3.Error, OSError):
            return []

    def sessions_now(self) -> list[SessionSummary]:
        """The same, at start-up: nothing is queued yet, and in WAL mode a read never waits
        for another program's write lock."""
        try:
            return self.store.sessions() if self.store is not None else []
        except (sqlite3.Error, OSError):
            return []

    async def load(self, session: int) -> SavedSession | None:
        """Reopen a stored conversation, mended if it breaks the API's rules (see `repaired`);
        from now on its turns are added to it."""
        try:
            saved: SavedSession | None = await self._read(lambda s: s.load_session(session))
        except (sqlite3.Error, OSError, ValueError, KeyError, TypeError):
            return None
        return self._opened(saved)

    def load_now(self, session: int) -> SavedSession | None:
        """`load` at start-up (--continue), before the writer can type anything."""
        try:
            saved = self.store.load_session(session) if self.store is not None else None
        except (sqlite3.Error, OSError, ValueError, KeyError, TypeError):
            return None
        return self._opened(saved)

    def _opened(self, saved: SavedSession | None) -> SavedSession | None:
        if saved is None:
            return None
        session = saved.id
        self.session = SessionRef(session)
        self._created = True
        self._context = (saved.draft, saved.unsent)
        self.named, self.title_asked = saved.named, False
        marks = {id(m.message): m for m in saved.messages}
        kept = [m.message for m in saved.messages]
        mended = repaired(kept)
        # Compared by value (the blocks are the same objects, so it is quick): `repaired` makes
        # every user message anew, and rewriting an intact conversation would serialise and
        # index all of it again (10 MB at 1,000 replies) each time it is reopened.
        if mended != kept:
            messages = [marks.get(id(m)) or SavedMessage(m, None, None) for m in mended]
            saved = replace(saved, messages=messages)
            self._submit(lambda store, sid: store.rewrite_messages(sid, messages))
        return saved

    def delete(self, session: int) -> bool:
        """Forget a kept conversation (never the open one)."""
        store = self.store
        if store is None or self.keeper is None or session == self.session_id:
            return False
        self.keeper.submit(lambda: store.delete_session(session))
        return True

    def start_new(self) -> None:
        self.session = SessionRef()
        self._created = False
        self._context = None
        self.named, self.title_asked = "", False


RoundEnd = Literal["done", "failed", "stopped"]


class RoundCopy:
    """The copy on disk of one reply's text while it streams (every KEEP_EVERY seconds), so a
    kill mid-reply keeps it; when a round ends it is dropped (its text is in the conversation),
    or kept and marked failed or stopped for reopening."""

    def __init__(self, history: History, model: str, reply: int):
        self.history = history
        self.model = model
        self.reply = reply
        self.key: str | None = None
        self.position = 0
        self._text = GrowingText()
        self._kept_at = 0.0

    def start(self, position: int) -> None:
        """A new round starts at `position`: the previous one finished."""
        if self.key is not None:
            self.history.drop_partial(self.key)
        self.key, self.position, self._text = uuid.uuid4().hex, position, GrowingText()
        self._kept_at = time.monotonic()

    @property
    def text(self) -> str:
        return self._text.text

    def add(self, text: str) -> None:
        self._text.append(text)
        if time.monotonic() - self._kept_at >= KEEP_EVERY:
            self._keep("streaming", self.text)

    def end(self, how: RoundEnd) -> None:
        if self.key is None:
            return
        if how == "done":
            self.history.drop_partial(self.key)
        elif how == "failed":  # the text is not in the conversation: only this copy has it
            self._keep("failed", self.text)
        else:  # stopped: the text is in the conversation; this only marks how it ended
            self._keep("stopped", "")
        self.key = None

    def _keep(self, status: PartialStatus, text: str) -> None:
        self._kept_at = time.monotonic()
        if self.key is not None:
            self.history.keep_partial(
                self.key, SavedPartial(self.position, self.model, self.reply, text, status)
            )
