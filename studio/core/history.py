"""The conversation kept on disk as it happens, so a quit or a crash never loses a reply.

A session row is created on the first thing worth keeping (a sent message, or text typed into the
message box), not at start-up: opening and closing the studio leaves no empty conversations behind.
A store that fails (a full or read-only disk) loses only the copy; the studio says so once.
"""

from __future__ import annotations

import sqlite3

from studio.core.conversation import Conversation
from studio.core.store import SavedSession, SessionSummary, Store


class History:
    def __init__(self, store: Store | None):
        self.store = store
        self.session_id: int | None = None
        self.error: str | None = None
        self._context: tuple[str | None, str] | None = None

    def _fail(self, exc: Exception) -> None:
        self.error = f"Conversations cannot be kept on disk ({type(exc).__name__}: {exc})."
        self.store = None

    def _session(self) -> int | None:
        if self.store is not None and self.session_id is None:
            try:
                self.session_id = self.store.new_session()
            except (sqlite3.Error, OSError) as exc:
                self._fail(exc)
        return self.session_id

    def save(self, conversation: Conversation, start: int, model: str | None = None,
             reply: int | None = None) -> None:
        """Store the conversation from message `start` on (see `Store.save_messages`)."""
        session = self._session()
        if session is None or self.store is None:
            return
        try:
            self.store.save_messages(session, conversation.messages, start, model, reply)
        except (sqlite3.Error, OSError) as exc:
            self._fail(exc)

    def keep_context(self, draft: str | None, unsent: str) -> None:
        """Remember the open draft and the unsent message; a no-op when nothing changed."""
        if (draft, unsent) == self._context or (self.session_id is None and not unsent.strip()):
            return
        session = self._session()
        if session is None or self.store is None:
            return
        try:
            self.store.save_context(session, draft=draft, unsent=unsent)
            self._context = (draft, unsent)
        except (sqlite3.Error, OSError) as exc:
            self._fail(exc)

    def sessions(self) -> list[SessionSummary]:
        if self.store is None:
            return []
        try:
            return self.store.sessions()
        except (sqlite3.Error, OSError):
            return []

    def load(self, session: int) -> SavedSession | None:
        """Reopen a stored conversation; from now on its turns are added to it."""
        if self.store is None:
            return None
        try:
            saved = self.store.load_session(session)
        except (sqlite3.Error, OSError, ValueError) as exc:
            self._fail(exc)
            return None
        if saved is not None:
            self.session_id = session
            self._context = (saved.draft, saved.unsent)
        return saved

    def delete(self, session: int) -> bool:
        """Forget a kept conversation (never the open one); False if the store failed."""
        if self.store is None or session == self.session_id:
            return False
        try:
            self.store.delete_session(session)
        except (sqlite3.Error, OSError) as exc:
            self._fail(exc)
            return False
        return True

    def start_new(self) -> None:
        self.session_id = None
        self._context = None
