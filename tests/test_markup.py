"""Markup is text: a `[/…` in a draft name, a tool name, a model name or an error message shows as
typed and never crashes the studio (Textual would otherwise parse it as markup and raise)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import TEST_KEY
from fakeapi import RecordingServer
from ui_helpers import chat_text, dialog_text, flat, idle, make_app, pane_text, screen_text, send, wait_for

from studio.loopback import TextReply, ToolUseReply
from studio.ui.dialogs import AskName, OpenDraft
from studio.ui.editor import DraftEditor
from studio.ui.model_picker import ModelPicker
from studio.ui.onboarding import Onboarding

SIZE = (120, 36)
NAME = "a[/b]c.md"


async def test_a_draft_saved_under_a_name_with_markup_shows_its_name(tmp_path: Path) -> None:
    app = make_app(None, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        editor = app.query_one(DraftEditor)
        editor.focus()
        editor.insert("Some words.")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, AskName))
        app.screen.query_one("#name-input").value = NAME  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: f"Draft · {NAME}" in pane_text(app, "#draft"))
        assert (tmp_path / "drafts" / NAME).read_text() == "Some words."


async def test_ctrl_o_lists_a_draft_whose_name_holds_markup_and_opens_it(tmp_path: Path) -> None:
    (tmp_path / "drafts" / "a[").mkdir(parents=True)  # the name holds a slash: a folder "a["
    (tmp_path / "drafts" / NAME).write_text("Bracketed.\n")
    (tmp_path / "drafts" / "[bold]x[").mkdir()
    (tmp_path / "drafts" / "[bold]x[/bold].md").write_text("Bold.\n")
    app = make_app(None, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, OpenDraft) and NAME in dialog_text(app))
        assert "[bold]x[/bold].md" in dialog_text(app)
        option_list = app.screen.query_one("#open-list")
        names = [
            option_list.get_option_at_index(i).id  # type: ignore[attr-defined]
            for i in range(option_list.option_count)
        ]  # type: ignore[attr-defined]
        option_list.highlighted = names.index(NAME)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.query_one(DraftEditor).text == "Bracketed.\n")
        await wait_for(pilot, lambda: f"Draft · {NAME}" in pane_text(app, "#draft"))


async def test_a_tool_named_with_markup_is_answered_and_shown_literally(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(ToolUseReply("[/]", {"x": "[red]y"}), TextReply("After the tool."))
    app = make_app(server, TEST_KEY, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "use a tool")
        await idle(pilot, app)
        await wait_for(pilot, lambda: "After the tool." in chat_text(app))
        assert "✗ [/]" in chat_text(app)
        assert "Unexpected error" not in chat_text(app)
        answered = server.message_requests[1].json["messages"][-1]["content"]
        assert answered[0]["type"] == "tool_result"


async def test_a_model_name_with_markup_shows_literally_everywhere(
    server: RecordingServer, tmp_path: Path
) -> None:
    odd = "Sonnet [/] [b]bold[/b]"
    server.queue(TextReply("Fine."))
    app = make_app(server, TEST_KEY, tmp_path, models={"claude-haiku-4-5-20251001": {"name": odd}})
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelPicker) and odd in screen_text(app))
        await pilot.press("3")
        await wait_for(pilot, lambda: f"to {odd}" in screen_text(app))
        await wait_for(pilot, lambda: f"Next message goes to {odd}." in flat(screen_text(app)))
        await send(pilot, "hello")
        await idle(pilot, app)
        await wait_for(pilot, lambda: "Fine." in chat_text(app))
        assert f"{odd}" in flat(pane_text(app, "#chat"))  # the reply's border title


class _Gateway(BaseHTTPRequestHandler):
    """A proxy in front of the API that answers every request with markup and the key it saw."""

    def do_GET(self) -> None:
        key = self.headers.get("x-api-key") or self.headers.get("authorization", "")
        body = json.dumps(
            {
                "type": "error",
                "error": {
                    "type": "invalid_request_error",
                    "message": f"[/] [bold]gateway[/bold] refused {key}",
                },
            }
        ).encode()
        self.send_response(400)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


async def test_a_gateway_error_with_markup_during_the_key_check_shows_and_hides_the_key(
    gateway: str, tmp_path: Path
) -> None:
    app = make_app(None, None, tmp_path)
    app.settings.base_url = gateway
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot, lambda: isinstance(app.screen, Onboarding) and bool(app.screen.query("#key-input"))
        )
        app.screen.query_one("#key-input").value = TEST_KEY  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: "gateway[/bold] refused" in flat(screen_text(app)))
        assert "[/] [bold]" in flat(screen_text(app))
        assert TEST_KEY not in screen_text(app)
        assert isinstance(app.screen, Onboarding)
