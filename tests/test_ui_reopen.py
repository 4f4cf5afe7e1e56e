"""A reopened conversation (`studio -c`, or F5) goes on as it left off: with the model it last used
(only `--model` on the command line says otherwise), and each reply the writer stopped or that
failed still says so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import TEST_KEY
from fakeapi import DropMidStream, ErrorMidStream, HttpError, RecordingServer
from ui_helpers import chat_text, dialog_text, flat, idle, pane_text, screen_text, send, wait_for

from studio import cli, locations
from studio.config import Settings
from studio.loopback import Reply, TextReply
from studio.ui.app import StudioApp
from studio.ui.dialogs import Conversations

SIZE = (120, 36)
HAIKU, OPUS, SONNET = "claude-haiku-4-5-20251001", "claude-opus-4-7", "claude-sonnet-4-6"
COUNT_PATH = "/v1/messages/count_tokens"


def settings_from_command_line(
    argv: list[str], server: RecordingServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Settings:
    """What `studio ARGS...` would run with: `cli.main` itself, the app swapped for a catcher."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    caught: list[Settings] = []
    monkeypatch.setattr(cli, "_run", lambda settings: caught.append(settings) or 0)
    assert cli.main([*argv, "--drafts-dir", str(tmp_path / "drafts")]) == 0
    return caught[0]


def app_for(argv: list[str], server: RecordingServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = settings_from_command_line(argv, server, monkeypatch, tmp_path)
    settings.titles = False  # as ui_helpers.make_app: these tests read the requests they script
    return StudioApp(settings)


def config_model(model: str) -> None:
    path = locations.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'model = "{model}"\n', encoding="utf-8")


def prompt_title(app: StudioApp) -> str:
    return str(app.main_screen.chat_pane.prompt.border_title)


def toasts(app: StudioApp) -> str:
    """The notifications on screen, as the writer reads them."""
    strips = app.screen._compositor.render_strips()
    regions = [toast.region for toast in app.screen.query("Toast")]
    return " ".join(
        flat("\n".join(s.crop(r.x, r.right).text for s in strips[r.y : r.bottom])) for r in regions
    )


def sidebar(app: StudioApp) -> str:
    return flat(pane_text(app, "#sidebar"))


async def shows_model(pilot, app: StudioApp, name: str) -> None:  # type: ignore[no-untyped-def]
    """The message box's title and the sidebar's model name it."""
    await wait_for(pilot, lambda: prompt_title(app) == f"to {name}")
    await wait_for(pilot, lambda: f"Model {name}" in sidebar(app))  # it may follow the first frame


async def send_and_check_model(
    pilot, app: StudioApp, server: RecordingServer, model: str, send: bool = True
) -> None:  # type: ignore[no-untyped-def]
    """Type (the exact count of the next request goes out after a pause), then send: both requests
    name `model`."""
    await app.session.engine_ready.wait()
    counted = len([r for r in server.requests if r.path == COUNT_PATH])
    app.main_screen.chat_pane.prompt.clear()  # an unsent message may have been reopened with it
    app.main_screen.chat_pane.prompt.focus()
    app.main_screen.chat_pane.prompt.insert("and on we go")
    await wait_for(pilot, lambda: len([r for r in server.requests if r.path == COUNT_PATH]) > counted)
    assert [r.json["model"] for r in server.requests if r.path == COUNT_PATH][counted:] == [model]
    if not send:
        return
    await pilot.press("enter")
    await idle(pilot, app)
    assert server.message_requests[-1].json["model"] == model
    assert server.message_requests[-1].json["messages"][-1]["content"][-1]["text"] == "and on we go"


async def first_conversation(
    server: RecordingServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model: str
) -> None:
    server.queue(TextReply("First answer."))
    app = app_for(["--model", model], server, monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first question")
        await idle(pilot, app)
    assert server.message_requests[-1].json["model"] == model


# -- the model ------------------------------------------------------------------------------------


async def test_continue_goes_on_with_the_conversation_s_model_not_the_config_s(
    server: RecordingServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    await first_conversation(server, monkeypatch, tmp_path, HAIKU)
    config_model(OPUS)  # the model at start: a reopened conversation does not take it
    server.queue(TextReply("Second answer."))
    app = app_for(["-c"], server, monkeypatch, tmp_path)
    assert app.settings.model == OPUS and not app.settings.model_chosen
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "First answer." in chat_text(app))
        await shows_model(pilot, app, "Claude Haiku 4.5")
        await send_and_check_model(pilot, app, server, HAIKU)
        assert "Second answer." in chat_text(app)


async def test_continue_with_model_on_the_command_line_takes_that_model(
    server: RecordingServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    await first_conversation(server, monkeypatch, tmp_path, HAIKU)
    server.queue(TextReply("Second answer."))
    app = app_for(["--continue", "--model", OPUS], server, monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "First answer." in chat_text(app))
        await shows_model(pilot, app, "Claude Opus 4.7")
        await send_and_check_model(pilot, app, server, OPUS)


async def test_f5_reopens_with_the_conversation_s_model(
    server: RecordingServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    await first_conversation(server, monkeypatch, tmp_path, HAIKU)
    server.queue(TextReply("Second answer."))
    app = app_for([], server, monkeypatch, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await shows_model(pilot, app, "Claude Sonnet 4.6")
        await pilot.press("f5")
        await wait_for(pilot, lambda: "first question" in dialog_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "First answer." in chat_text(app))
        await shows_model(pilot, app, "Claude Haiku 4.5")
        await wait_for(pilot, lambda: "Next message goes to Claude Haiku 4.5" in toasts(app))
        await send_and_check_model(pilot, app, server, HAIKU)


async def test_a_model_gone_from_the_catalogue_leaves_the_current_one_and_says_so(
    server: RecordingServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The first conversation's model was only known through the config file's [models] table,
    # which has since lost it.
    path = locations.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[models."claude-retired-1"]\nname = "Retired One"\ninput = 1.0\noutput = 2.0\n')
    await first_conversation(server, monkeypatch, tmp_path, "claude-retired-1")
    path.write_text("")
    server.queue(TextReply("Still here."))
    for argv, reopen in (([], True), (["-c"], False)):  # sent from the last only: then Sonnet answered
        app = app_for(argv, server, monkeypatch, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            if reopen:
                await pilot.press("f5")
                await wait_for(pilot, lambda a=app: isinstance(a.screen, Conversations))
                await wait_for(pilot, lambda a=app: "first question" in dialog_text(a))
                await pilot.press("enter")
            await wait_for(pilot, lambda a=app: "First answer." in chat_text(a))
            await wait_for(pilot, lambda a=app: "claude-retired-1" in chat_text(a))
            chat = chat_text(app)
            assert (
                "This conversation last used claude-retired-1, which is not in the model list any "
                "more: the next message goes to Claude Sonnet 4.6 (F2 picks another)."
            ) in chat, chat
            assert "Traceback" not in screen_text(app)
            await shows_model(pilot, app, "Claude Sonnet 4.6")
            await send_and_check_model(pilot, app, server, SONNET, send=not reopen)


async def test_a_conversation_whose_last_reply_failed_goes_on_with_that_reply_s_model(
    server: RecordingServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server.queue(ErrorMidStream(text_before="Half of a"))
    app = app_for(["--model", HAIKU], server, monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first question")
        await idle(pilot, app)
    server.queue(TextReply("Whole answer."))
    app = app_for(["-c"], server, monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "Half of a" in chat_text(app))
        await shows_model(pilot, app, "Claude Haiku 4.5")
        await app.session.engine_ready.wait()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "Whole answer." in chat_text(app))
        await idle(pilot, app)
    assert server.message_requests[-1].json["model"] == HAIKU


# -- how replies ended --------------------------------------------------------------------------

# The line under a reply: its cost and tokens, then how it ended.
STOPPED = re.compile(r"≈\$[\d.]+ · in [\d,]+ · out [\d,]+ · stopped")
FAILED = re.compile(r"\$[\d.]+ · in [\d,]+ · out [\d,]+ · failed")


async def reopen_both_ways(server: RecordingServer, tmp_path: Path, last: str, check) -> None:  # type: ignore[no-untyped-def]
    """Reopen the latest conversation with --continue, then from F5, and `check` each chat once
    `last` shows (on a screen tall enough for the whole of it)."""
    for resume in (True, False):
        app = StudioApp(
            Settings(
                api_key=TEST_KEY,
                base_url=server.base_url,
                drafts_dir=tmp_path / "drafts",
                resume=resume,
                titles=False,
            )
        )
        async with app.run_test(size=(120, 90)) as pilot:
            if not resume:
                await pilot.press("f5")
                await wait_for(pilot, lambda a=app: "tell a story" in dialog_text(a))
                await pilot.press("enter")
            await wait_for(
                pilot, lambda a=app: "Reopened conversation" in chat_text(a) and last in chat_text(a)
            )
            await pilot.pause(0.1)
            check(chat_text(app))


async def test_a_stopped_reply_says_stopped_live_and_reopened(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(
        TextReply(
            "Once upon a time " + "and then " * 2000, input_tokens=1000, chunk_size=6, chunk_delay=0.01
        ),
        TextReply("The end."),
    )
    app = StudioApp(
        Settings(api_key=TEST_KEY, base_url=server.base_url, drafts_dir=tmp_path / "drafts", titles=False)
    )
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "tell a story")
        await wait_for(pilot, lambda: "and then" in chat_text(app))
        await pilot.press("escape")
        await idle(pilot, app)
        await pilot.pause(0.1)
        assert STOPPED.search(chat_text(app)), chat_text(app)
        await send(pilot, "finish it")
        await idle(pilot, app)
        await pilot.pause(0.1)
        assert len(STOPPED.findall(chat_text(app))) == 1

    def check(chat: str) -> None:
        assert len(STOPPED.findall(chat)) == 1, chat
        assert chat.index("Once upon a time") < STOPPED.search(chat).start() < chat.index("finish it")  # type: ignore[union-attr]
        assert "The end." in chat and "· failed" not in chat

    await reopen_both_ways(server, tmp_path, "The end.", check)


@pytest.mark.parametrize("fault", [ErrorMidStream(text_before="Half of a"), DropMidStream("Half of a")])
async def test_a_reply_that_failed_mid_stream_says_failed_live_and_reopened(
    server: RecordingServer, tmp_path: Path, fault: Reply
) -> None:
    server.queue(fault)
    app = StudioApp(
        Settings(api_key=TEST_KEY, base_url=server.base_url, drafts_dir=tmp_path / "drafts", titles=False)
    )
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "tell a story")
        await idle(pilot, app)
        await pilot.pause(0.1)
        assert FAILED.search(chat_text(app)), chat_text(app)

    def check(chat: str) -> None:
        assert len(FAILED.findall(chat)) == 1, chat
        assert chat.index("tell a story") < chat.index("Half of a") < FAILED.search(chat).start()  # type: ignore[union-attr]

    await reopen_both_ways(server, tmp_path, "Half of a", check)


async def test_a_reply_retried_after_a_failure_is_not_marked_failed_when_reopened(
    server: RecordingServer, tmp_path: Path
) -> None:
    """The failed attempt got no response (nothing to price): the retry must not take its place."""
    server.queue(HttpError.invalid_request("prompt is too long"), TextReply("Whole answer."))
    app = StudioApp(
        Settings(api_key=TEST_KEY, base_url=server.base_url, drafts_dir=tmp_path / "drafts", titles=False)
    )
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "tell a story")
        await idle(pilot, app)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "Whole answer." in chat_text(app))
        await idle(pilot, app)
        await pilot.pause(0.1)
        live = chat_text(app)
        assert re.search(r"Whole answer\. \$[\d.]+ · in [\d,]+ · out [\d,]+(?! ·)", live), live

    def check(chat: str) -> None:
        assert re.search(r"Whole answer\. \$[\d.]+ · in [\d,]+ · out [\d,]+(?! ·)", chat), chat
        assert "· failed" not in chat[chat.index("Whole answer.") :]

    await reopen_both_ways(server, tmp_path, "Whole answer.", check)


async def test_a_reply_after_an_interrupted_one_is_not_marked_interrupted_when_reopened(
    server: RecordingServer, tmp_path: Path
) -> None:
    """Studio died mid-reply (no response was priced, only the copy of its text is kept): the
    retry after reopening is a reply of its own, not the rest of the interrupted one."""
    from studio.core.store import SavedPartial, Store

    store = Store(locations.data_dir() / "studio.db")
    session = store.new_session()
    store.save_messages(session, [{"role": "user", "content": [{"type": "text", "text": "tell a story"}]}], 0)
    store.keep_partial("k1", session, SavedPartial(1, SONNET, 1, "Once upon a", "streaming"))
    server.queue(TextReply("Whole answer."))
    app = StudioApp(
        Settings(
            api_key=TEST_KEY,
            base_url=server.base_url,
            drafts_dir=tmp_path / "drafts",
            resume=True,
            titles=False,
        )
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "Once upon a" in chat_text(app))
        await app.session.engine_ready.wait()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "Whole answer." in chat_text(app))
        await idle(pilot, app)

    def check(chat: str) -> None:
        assert re.search(
            r"Once upon a interrupted .*Whole answer\. \$[\d.]+ · in [\d,]+ · out [\d,]+(?! ·)", chat
        ), chat

    await reopen_both_ways(server, tmp_path, "Whole answer.", check)
