"""The questions the studio asks in a dialog, as awaitable calls. The dialogs module (with the
Textual widgets it builds on) is imported when one is first asked, never for the first frame."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App

    from studio.core.drafts import DraftFile


async def choose(app: App[Any], question: str, choices: list[tuple[str, str]]) -> str | None:
    """The id of the button pressed (see dialogs.Choice)."""
    from studio.ui.dialogs import Choice

    return await app.push_screen_wait(Choice(question, choices))


async def agree(app: App[Any], question: str, action: str) -> bool:
    """Yes (the button says `action`) or Cancel."""
    return await choose(app, question, [("yes", action), ("cancel", "Cancel")]) == "yes"


async def name_draft(app: App[Any], question: str, value: str = "") -> str | None:
    """A draft's name typed in (None: cancelled)."""
    from studio.ui.dialogs import AskName

    return await app.push_screen_wait(AskName(question, value))


async def pick_draft(app: App[Any], folder: str, files: list[DraftFile]) -> str | None:
    """A draft chosen from the drafts folder (None: cancelled)."""
    from studio.ui.dialogs import OpenDraft

    return await app.push_screen_wait(OpenDraft(folder, files))
