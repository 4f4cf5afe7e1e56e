"""F5 from the writing screen: the conversations dialog (with its search), and what the writer
chose in it, opened through the session.

A widget with nothing to draw (as BatchFollower), so the worker belongs to what uses it. What it
opened goes up to the screen as a message; the screen routes it down to the panes.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.widget import Widget

from studio.ui.collecting import give_back

if TYPE_CHECKING:  # the dialog and the store's types: imported when F5 is first pressed
    from studio.core.search import Hit
    from studio.core.session import Session
    from studio.core.store import SavedSession


class ConversationPicker(Widget):
    DEFAULT_CSS = "ConversationPicker { display: none; }"

    class Opened(Message):
        """A conversation to show: a new one, or `saved` (None: it could not be read), scrolled
        to the message at `reveal`. `model_before`: the session's model before it was opened."""

        def __init__(
            self,
            saved: SavedSession | None,
            model_before: str,
            *,
            new: bool = False,
            reveal: int | None = None,
        ) -> None:
            super().__init__()
            self.saved, self.model_before, self.new, self.reveal = saved, model_before, new, reveal

    class DraftFound(Message):
        """A draft found by search, to open in the editor."""

        def __init__(self, name: str, path: str | None) -> None:
            super().__init__()
            self.name, self.path = name, path

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    @work(exclusive=True, group="conversations")
    async def pick(self) -> None:
        from studio.core.search import Hit
        from studio.ui.dialogs import NEW_CONVERSATION, Conversations

        session = self.session
        session.keep_context()
        choice = await self.app.push_screen_wait(
            Conversations(
                await session.conversations(), session.history.session_id, session.forget, session.search
            )
        )
        if isinstance(choice, Hit):
            await self._found(choice)
            return
        if choice is None or choice == str(session.history.session_id) or session.running:
            return
        model_before = session.model
        if choice == NEW_CONVERSATION:
            session.new_conversation()
            self.post_message(self.Opened(None, model_before, new=True))
        else:
            self.post_message(self.Opened(await self._open(int(choice)), model_before))

    async def _found(self, hit: Hit) -> None:
        """A search hit: a message reopens its conversation (the open one too, read again)
        scrolled to it; a draft opens in the editor."""
        if hit.kind == "draft":
            if hit.name is not None:
                self.post_message(self.DraftFound(hit.name, hit.path))
            return
        if hit.session is None or self.session.running:
            return
        model_before = self.session.model
        saved = await self._open(hit.session)
        self.post_message(self.Opened(saved, model_before, reveal=hit.position))

    async def _open(self, conversation_id: int) -> SavedSession | None:
        saved = await self.session.open_conversation(conversation_id)
        # One the API has sized lets the tokenizer go (tokens.release): its 25 MB go back now.
        await asyncio.to_thread(give_back)
        return saved
