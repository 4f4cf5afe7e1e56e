"""The first frame in a terminal: the writing screen's frame and a message box to type into, painted
before the engine and the panes are imported and built (about a third of the start). The app then
builds the writing screen in its place, with whatever was typed meanwhile.

Only Textual and the message box are imported here: anything more is paid before the first frame.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from studio.core.visible import visible
from studio.ui.prompt import PromptArea


class OpeningHeader(Widget):
    """Textual's Header as it first looks, in one row drawn at once: Header's icon, title and clock
    space are three widgets, a tenth of what the opening costs."""

    DEFAULT_CSS = """
    OpeningHeader {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """
    ICON_WIDTH = 8  # Header's icon: "✎" with a cell of padding either side, in 8 columns
    CLOCK_WIDTH = 10  # Header's space for a clock, on the right

    def render(self) -> Content:
        title = self.app.format_title(self.app.title, self.screen.sub_title or "")
        middle = self.size.width - self.ICON_WIDTH - self.CLOCK_WIDTH
        return Content.assemble(
            Content(" ✎").pad_right(self.ICON_WIDTH - 2), title.center(max(middle, 0)).truncate(middle)
        )


class OpeningFooter(Widget):
    """The footer's row, its keys still to come: the message box above it does not move."""

    DEFAULT_CSS = """
    OpeningFooter {
        dock: bottom;
        height: 1;
        background: $footer-background;
    }
    """

    def render(self) -> Content:
        return Content()


class OpeningScreen(Screen[None]):
    AUTO_FOCUS = "#prompt"

    class Painted(Message):
        """The first frame is out: time to build the writing screen."""

        def __init__(self, opening: OpeningScreen) -> None:
            super().__init__()
            self.opening = opening

    def __init__(self, model_name: str) -> None:
        super().__init__()
        self.model_name = visible(model_name)  # from the config: shown, never obeyed
        self.to_send = ""  # a message sent (Enter) here: keys typed ahead while studio started

    def compose(self) -> ComposeResult:
        # The ids and the order are the writing screen's (studio.tcss), so nothing moves when it
        # takes this one's place: only the panes fill in.
        yield OpeningHeader()
        with Horizontal(id="workspace"):
            with Vertical(id="chat-pane"):
                yield VerticalScroll(id="chat")
                prompt = PromptArea(id="prompt", soft_wrap=True, compact=True)
                prompt.border_title = Content(f"to {self.model_name}")  # Content: never markup
                prompt.border_subtitle = "Enter sends"
                yield prompt
            with Vertical(id="draft-pane"):
                yield Static(id="draft")
            yield VerticalScroll(id="sidebar")
        yield OpeningFooter()

    def on_mount(self) -> None:
        self.sub_title = self.model_name
        self.call_after_refresh(self.post_message, self.Painted(self))

    @on(PromptArea.Submitted)
    def _keep_to_send(self, message: PromptArea.Submitted) -> None:
        """Enter in the first frame: the message goes once the writing screen is up, and leaves
        its box then, as a send there does (only the first: what a second Enter ended stays in
        the box)."""
        message.stop()
        self.to_send = self.to_send or message.text

    @property
    def typed(self) -> str:
        """What the writer typed before the writing screen was built (a message to send first)."""
        return self.query_one(PromptArea).text
