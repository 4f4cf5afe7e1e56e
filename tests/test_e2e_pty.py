"""End to end: the installed `studio` command in a real pseudo-terminal, its screen read back with pyte.

These run the program a writer runs (console script, real terminal driver, real SDK over HTTP to the
loopback server) and assert only on what the terminal shows, what the server received, and how the
process exits.
"""

from __future__ import annotations

import json
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import TEST_KEY
from fakeapi import RecordingServer
from terminal import (
    ENTER,
    ESCAPE,
    F2,
    F6,
    PROMPT_TITLE,
    SHIFT_TAB,
    START_TIMEOUT,
    STEP_TIMEOUT,
    TAB,
    Terminal,
    wait_for_main_screen,
)

from studio.loopback import Request, TextReply

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal"),
]


def _body_text(request_json: object) -> str:
    return json.dumps(request_json, ensure_ascii=False)


def _sent_key(request: Request) -> str | None:
    """The key a request authenticated with (the SDK may use either header)."""
    bearer = request.headers.get("authorization", "")
    return request.headers.get("x-api-key") or bearer.removeprefix("Bearer ") or None


def test_a_reply_streams_on_screen_costs_and_quits_cleanly(
    server: RecordingServer, terminal: Callable[..., Terminal]
) -> None:
    words = " ".join(f"word{i}" for i in range(110))
    server.queue(
        TextReply(
            f"ALPHAFIRST {words} OMEGALAST",
            input_tokens=1000,
            output_tokens=200,
            chunk_size=8,
            chunk_delay=0.02,
        )
    )
    term = terminal(key=TEST_KEY, base_url=server.base_url)
    wait_for_main_screen(term, "Claude Sonnet 4.6")

    term.type("Hello from the terminal")
    term.send(ENTER)
    term.wait_until(
        lambda: "ALPHAFIRST" in term.text() and "writing …" in term.text(),
        STEP_TIMEOUT,
        "the start of the reply, still being written",
    )
    assert "OMEGALAST" not in term.text(), "the whole reply appeared at once, not streamed"

    term.expect_text("OMEGALAST")
    # 1,000 in x $3 + 200 out x $15 per million tokens on Sonnet 4.6 = $0.0060.
    term.wait_until(
        lambda: term.text().count("$0.0060") >= 3,
        STEP_TIMEOUT,
        "$0.0060 in the reply, the session total and the replies list",
    )
    term.expect_text("#1 Sonnet 4.6")
    term.expect_text("in 1,000 · out 200")

    (request,) = server.message_requests
    assert request.json["model"] == "claude-sonnet-4-6"
    assert request.json["stream"] is True
    assert "Hello from the terminal" in _body_text(request.json["messages"])

    term.quit()
    # (d) the key went over HTTP, but no byte the terminal received contains it.
    assert _sent_key(request) == TEST_KEY
    assert TEST_KEY.encode() not in term.output


def test_b_f2_then_3_sends_the_next_message_to_haiku(
    server: RecordingServer, terminal: Callable[..., Terminal]
) -> None:
    server.queue(TextReply("HAIKUREPLY done.", input_tokens=1000, output_tokens=200))
    term = terminal(key=TEST_KEY, base_url=server.base_url)
    wait_for_main_screen(term, "Claude Sonnet 4.6")

    term.send(F2)
    term.expect_text("Choose a model")
    term.send("3")
    term.expect_text("to Claude Haiku 4.5")
    term.wait_until(lambda: "Choose a model" not in term.text(), STEP_TIMEOUT, "the picker to close")

    term.type("Short one, please")
    term.send(ENTER)
    term.expect_text("HAIKUREPLY")
    # 1,000 in x $1 + 200 out x $5 per million tokens on Haiku 4.5 = $0.0020.
    term.expect_text("#1 Haiku 4.5")
    screen = term.expect_text("$0.0020")
    assert "Haiku 4.5" in screen
    assert "Sonnet 4.6" not in screen  # neither the prompt, the sidebar nor the reply still say it

    (request,) = server.message_requests
    assert request.json["model"] == "claude-haiku-4-5-20251001"
    assert "Short one, please" in _body_text(request.json["messages"])
    term.quit()


def test_c_without_a_key_onboarding_then_sending_says_no_key(
    tmp_path: Path, terminal: Callable[..., Terminal]
) -> None:
    assert not (tmp_path / ".env").exists()
    term = terminal()
    term.expect_text("Continue without a key", START_TIMEOUT)
    term.expect_text("ANTHROPIC_API_KEY")
    term.expect_text("Welcome to studio")

    term.send(ESCAPE)
    term.expect_text("No API key yet")
    term.wait_until(
        lambda: "Continue without a key" not in term.text(), STEP_TIMEOUT, "the onboarding dialog to close"
    )

    term.type("Anyone there?")
    term.send(ENTER)
    screen = term.expect_text("No API key, so nothing")
    assert "Anyone there?" in screen  # still in the box
    assert "╭─ You" not in screen  # nothing was added to the conversation
    term.quit()


def test_d_a_pasted_key_is_checked_saved_and_never_shown(
    server: RecordingServer, tmp_path: Path, terminal: Callable[..., Terminal]
) -> None:
    server.queue(TextReply("KEYWORKS fine.", input_tokens=10, output_tokens=5))
    term = terminal(base_url=server.base_url)
    term.expect_text("Continue without a key", START_TIMEOUT)

    term.send(TEST_KEY)
    term.wait_until(lambda: "•" * 20 in term.text(), STEP_TIMEOUT, "the key, masked as it is typed")
    term.send(ENTER)
    masked = "sk-ant-test-…key0"
    term.expect_text(f"Key {masked} works")
    term.wait_until(
        lambda: "Continue without a key" not in term.text(), STEP_TIMEOUT, "the onboarding dialog to close"
    )

    saved = tmp_path / "xdg_config_home" / "studio" / ".env"
    assert saved.read_text(encoding="utf-8") == f"ANTHROPIC_API_KEY={TEST_KEY}\n"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600

    term.type("Now with a key")
    term.send(ENTER)
    term.expect_text("KEYWORKS")
    (request,) = server.message_requests
    assert _sent_key(request) == TEST_KEY
    term.quit()
    assert TEST_KEY.encode() not in term.output


def test_e_a_crash_loses_neither_the_conversation_nor_the_unsent_message(
    server: RecordingServer, terminal: Callable[..., Terminal]
) -> None:
    server.queue(TextReply("KEPTREPLY survives.", input_tokens=1000, output_tokens=200))
    term = terminal(key=TEST_KEY, base_url=server.base_url)
    wait_for_main_screen(term, "Claude Sonnet 4.6")
    term.type("Remember this")
    term.send(ENTER)
    term.expect_text("KEPTREPLY")
    term.type("HALFTYPED words")
    term.expect_text("HALFTYPED")
    time.sleep(2.5)  # the unsent message is kept every 2 seconds
    term.crash()

    term = terminal("--continue", key=TEST_KEY, base_url=server.base_url)
    screen = term.expect_text("KEPTREPLY", START_TIMEOUT)
    assert "Remember this" in screen and "Reopened conversation" in screen
    term.expect_text("$0.0060 · in 1,000 · out 200")
    assert "HALFTYPED words" in term.box_text("to Claude Sonnet 4.6")
    term.quit()


def test_f_keys_typed_right_after_tab_follow_the_focus(
    server: RecordingServer, terminal: Callable[..., Terminal]
) -> None:
    """A writer types on without waiting for a Tab to take effect: in one burst, Tab and the words
    after it must land in the box Tab moved to, both ways."""
    term = terminal(key=TEST_KEY, base_url=server.base_url)
    wait_for_main_screen(term, "Claude Sonnet 4.6")
    for burst in range(3):
        term.send(TAB + f"draftword{burst} ")
        term.expect_text(f"draftword{burst}")
        term.send(TAB + f"boxword{burst} ")
        term.wait_until(
            lambda n=burst: f"boxword{n}" in term.box_text(PROMPT_TITLE),
            STEP_TIMEOUT,
            f"boxword{burst} in the message box",
        )
    box = term.box_text(PROMPT_TITLE)
    assert "draftword" not in box, f"draft words went to the message box: {box!r}"
    term.expect_text("Draft · untitled ●")


def test_g_words_typed_right_after_tab_in_a_dialog_land_in_the_next_field(
    server: RecordingServer, terminal: Callable[..., Terminal], tmp_path: Path
) -> None:
    """The same in a dialog (F6, N: the drafts list, then the instruction): Space, Tab and the
    words in one burst. Textual's own Tab acts once the key has been through the focused list, and
    by then the list had taken the words after it; a priority Tab alone would then lose the Space
    (batches_screen.DraftPicks)."""
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "a.md").write_text("Some text.", encoding="utf-8")
    term = terminal(key=TEST_KEY, base_url=server.base_url)
    wait_for_main_screen(term, "Claude Sonnet 4.6")
    term.send(F6)
    term.expect_text("Batch jobs")
    term.send("n")
    term.expect_text("A batch job on drafts")
    term.send(" " + TAB + "Proofread it")  # Space picks a.md, even with Tab right behind it
    term.expect_text("▊  Proofread it ")  # in the instruction field, not its placeholder
    # Back to the list and forward again, typing on: the field's text is selected as Tab enters
    # it (Textual's Input), so the words replace it.
    term.send(SHIFT_TAB + TAB + "Tighten it")
    term.expect_text("▊  Tighten it ")
    term.send(TAB + TAB + ENTER)  # the model, then Estimate: a.md is picked, once
    term.expect_text("1 request(s) to Claude Sonnet 4.6")
    assert not [r for r in server.requests if "batches" in r.path]  # nothing sent yet
    term.quit()
