"""`studio chat --plain`, the installed command, read the way a screen reader reads it: line by line.

In a real pseudo-terminal (readline and all) or a pipe, against the loopback server: every line
the program writes must start with a label, carry no escape sequence, and say what happened; the
assertions are on those lines, the files on disk and what the server received.
"""

from __future__ import annotations

import json
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TEST_KEY
from fakeapi import ErrorMidStream, HttpError, RecordingServer, Replay
from terminal import CTRL_Q, START_TIMEOUT, STEP_TIMEOUT, Studios, Terminal, child_env, studio_command

from studio.core.diskio import DraftError
from studio.core.draft_names import normalise
from studio.loopback import TextReply, ToolUseReply
from studio.plain.output import LABELS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal"),
]

CTRL_C, CTRL_D = "\x03", "\x04"
SONNET, HAIKU = "claude-sonnet-4-6", "claude-haiku-4-5-20251001"


class LineTerm:
    """The line mode in a pty: its output as lines, and typing that waits for the next prompt."""

    def __init__(self, term: Terminal) -> None:
        self.term = term

    def lines(self) -> list[str]:
        text = self.term.output.decode("utf-8", errors="replace").replace("\r\n", "\n")
        return text.split("\n")

    def prompts(self) -> int:
        return sum(line.startswith("you:") for line in self.lines())

    def at_prompt(self) -> bool:
        return self.term.output.endswith(b"\nyou: ")

    def wait_for(self, text: str, timeout: float = STEP_TIMEOUT) -> None:
        self.term.wait_until(
            lambda: text in self.term.output.decode(errors="replace"), timeout, repr(text) + self._tail()
        )

    def wait_prompt(self, after: int, timeout: float = STEP_TIMEOUT) -> None:
        self.term.wait_until(lambda: self.at_prompt() and self.prompts() > after, timeout, "a prompt")

    def line(self, text: str, timeout: float = STEP_TIMEOUT) -> None:
        """Type a line and press Enter; wait until the program asks for the next one."""
        before = self.prompts()
        self.term.send(text + "\r")
        self.wait_prompt(before, timeout)

    def said(self, label: str) -> list[str]:
        """Every line under `label`, without it."""
        prefix = f"{label}:"
        return [line.removeprefix(prefix).strip() for line in self.lines() if line.startswith(prefix)]

    def _tail(self) -> str:
        return "; the output ended with:\n" + "\n".join(self.lines()[-15:])


def read_as_a_screen_reader(output: bytes) -> list[str]:
    """The lines as announced; fails on anything a screen reader would stumble over."""
    assert b"\x1b" not in output, "an escape sequence reached the terminal"
    assert b"\x08" not in output and b"\x07" not in output, "backspace or bell in the output"
    text = output.decode("utf-8").replace("\r\n", "\n")
    assert "\r" not in text, "a line was overwritten in place"
    lines = text.split("\n")
    assert lines[-1] in ("", "you: "), f"an unfinished last line: {lines[-1]!r}"
    for line in lines[:-1]:
        assert line.split(":")[0] in LABELS, f"an unlabelled line: {line!r}"
    return lines[:-1]


def start(studios: Studios, server: RecordingServer, *args: str) -> LineTerm:
    term = LineTerm(studios.start("chat", "--plain", *args, key=TEST_KEY, base_url=server.base_url))
    term.wait_prompt(0, START_TIMEOUT)
    return term


def quits_with_ctrl_d(term: LineTerm) -> None:
    term.term.send(CTRL_D)
    assert term.term.wait_exit(10) == 0


def messages_sent(server: RecordingServer, index: int = -1) -> str:
    return json.dumps(server.message_requests[index].json["messages"], ensure_ascii=False)


def test_three_turns_a_model_change_and_a_saved_draft_read_line_by_line(
    studios: Studios, server: RecordingServer, tmp_path: Path
) -> None:
    draft = "# Launch\n\nWe ship the new studio today.\nIt works in any terminal.\n"
    server.queue(
        TextReply(
            "First line of the reply.\nSecond line, streamed in small pieces.\nThird and last.",
            input_tokens=1000,
            output_tokens=200,
            chunk_size=4,
            chunk_delay=0.01,
        ),
        ToolUseReply(
            "save_draft",
            {"filename": "launch.md", "content": draft},
            text="Saving it now.",
            input_tokens=1200,
            output_tokens=100,
        ),
        TextReply("Saved launch.md for you.", input_tokens=1400, output_tokens=20),
        TextReply("HAIKU answers briefly.", input_tokens=1500, output_tokens=10),
    )
    term = start(studios, server)

    term.line("Hello, who are you?")
    assert term.said("claude") == [
        "First line of the reply.",
        "Second line, streamed in small pieces.",
        "Third and last.",
    ]
    # 1,000 in x $3 + 200 out x $15 per million tokens on Sonnet 4.6.
    assert term.said("cost") == ["$0.0060 · in 1,000 · out 200 · cache read 0"]

    term.line("Write the launch note and save it as launch.md")
    assert "saved launch.md (13 words)" in term.said("draft")
    assert (tmp_path / "drafts" / "launch.md").read_text() == draft
    assert term.said("claude")[-2:] == ["Saving it now.", "Saved launch.md for you."]

    term.line("/model")
    menu = [line for line in term.said("studio") if ". Claude" in line]
    haiku = next(line for line in menu if "Haiku 4.5" in line)
    assert haiku.endswith("$1 in / $5 out per million tokens")
    assert next(line for line in menu if "Sonnet 4.6" in line).endswith("(current)")
    term.line(haiku.split(".")[0])
    assert term.said("studio")[-1] == "Next message goes to Claude Haiku 4.5."

    term.line("And now in one line?")
    assert term.said("claude")[-1] == "HAIKU answers briefly."
    assert [r.json["model"] for r in server.message_requests] == [SONNET, SONNET, SONNET, HAIKU]

    term.line("/save copy.md")
    assert term.said("draft")[-1] == "saved copy.md (13 words)"
    assert (tmp_path / "drafts" / "copy.md").read_text() == draft
    term.line("/save ../outside.md")
    with pytest.raises(DraftError) as refused:
        normalise("../outside.md")
    assert term.said("studio")[-1] == str(refused.value)  # the studio's own words
    assert not (tmp_path / "outside.md").exists()
    term.line("/draft")
    assert term.said("draft")[-1] == "copy.md · 13 words · saved"
    term.line("/draft show")
    assert term.said("draft")[-5:] == [
        "# Launch",
        "",
        "We ship the new studio today.",
        "It works in any terminal.",
        "",
    ]
    term.line("/cost")
    assert term.said("cost")[-2].startswith("this conversation: $")
    assert term.said("cost")[-2].endswith("over 3 replies")
    assert term.said("cost")[-1].startswith("today: $")
    term.line("/frobnicate")
    assert term.said("studio")[-1].startswith("Unknown command /frobnicate. Commands: /model, /save,")

    quits_with_ctrl_d(term)
    lines = read_as_a_screen_reader(bytes(term.term.output))
    assert lines[-1] == "studio: Conversation kept: `studio chat --plain --continue` goes on with it."
    assert TEST_KEY.encode() not in term.term.output
    history = tmp_path / "xdg_state_home" / "studio" / "line_history"
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    assert "/save copy.md" in history.read_text()


def test_each_line_of_a_reply_is_printed_once_it_is_complete(
    studios: Studios, server: RecordingServer
) -> None:
    server.queue(TextReply("ALPHA line.\n" + "slow " * 60 + "OMEGA", chunk_size=5, chunk_delay=0.02))
    term = start(studios, server)
    term.term.send("Go\r")
    term.wait_for("claude: ALPHA line.\r\n")
    assert "slow" not in term.term.output.decode(), "an unfinished line was printed"
    term.wait_for("OMEGA")
    assert term.said("claude")[-1] == " ".join(["slow"] * 60) + " OMEGA"
    term.wait_prompt(1)
    quits_with_ctrl_d(term)
    read_as_a_screen_reader(bytes(term.term.output))


def test_ctrl_c_stops_a_reply_keeps_its_text_and_continue_brings_it_back(
    studios: Studios, server: RecordingServer
) -> None:
    server.queue(
        TextReply("Kept line one.\nKept line two.\n" + "and more " * 300, chunk_size=8, chunk_delay=0.03)
    )
    term = start(studios, server)
    term.term.send("Tell me a long story\r")
    term.wait_for("claude: Kept line two.")
    term.term.send(CTRL_C)
    term.wait_prompt(1)
    assert "Stopped. The text so far is kept." in term.said("studio")
    assert term.said("cost")[-1].startswith("≈$"), "a stopped reply's cost is an estimate"
    quits_with_ctrl_d(term)
    read_as_a_screen_reader(bytes(term.term.output))  # no ^C echoed among the lines

    server.queue(TextReply("Continued from where we were."))
    again = start(studios, server, "--continue")
    assert again.said("studio")[1].startswith("Continuing “Tell me a long story” (1 reply, last ")
    again.line("Go on")
    assert again.said("claude")[-1] == "Continued from where we were."
    sent = messages_sent(server)
    assert "Kept line two." in sent and "Tell me a long story" in sent and "Go on" in sent
    quits_with_ctrl_d(again)
    read_as_a_screen_reader(bytes(again.term.output))


def test_a_hangup_mid_reply_or_at_the_prompt_quits_keeping_the_conversation(
    studios: Studios, server: RecordingServer
) -> None:
    server.queue(TextReply("Before the link dropped.\n" + "more " * 400, chunk_size=8, chunk_delay=0.03))
    term = start(studios, server)
    term.term.send("A long one\r")
    term.wait_for("claude: Before the link dropped.")
    term.term.child.kill(signal.SIGHUP)  # the SSH link went away
    assert term.term.wait_exit(10) == 128 + signal.SIGHUP
    assert "Stopped. The text so far is kept." in term.said("studio")

    server.queue(TextReply("Back again."))
    again = start(studios, server, "--continue")
    again.line("Where were we?")
    assert "Before the link dropped." in messages_sent(server)
    again.term.child.kill(signal.SIGTERM)
    assert again.term.wait_exit(10) == 128 + signal.SIGTERM
    assert again.said("studio")[-1].startswith("Conversation kept")
    read_as_a_screen_reader(bytes(again.term.output))


def test_ctrl_c_at_the_prompt_clears_the_line(studios: Studios, server: RecordingServer) -> None:
    server.queue(TextReply("Fine."))
    term = start(studios, server)
    term.term.send("words to throw away")
    term.wait_for("words to throw away")
    term.term.send(CTRL_C)
    term.wait_prompt(1)
    term.line("the words that count")
    sent = messages_sent(server)
    assert "the words that count" in sent and "throw away" not in sent
    quits_with_ctrl_d(term)
    read_as_a_screen_reader(bytes(term.term.output))


def test_an_api_error_is_one_line_the_text_stays_and_retry_sends_again(
    studios: Studios, server: RecordingServer
) -> None:
    server.queue(
        ErrorMidStream(text_before="Half a line\nThen the API broke"),
        HttpError.rate_limited(1),
        TextReply("Second try worked."),
    )
    term = start(studios, server)
    term.line("Try this")
    assert term.said("claude") == ["Half a line", "Then the API broke"]
    failure = term.said("studio")[-1]
    assert "overloaded" in failure.lower() and failure.endswith("/retry sends it again.")
    term.line("/retry")
    assert term.said("studio")[-2:] == ["Retrying …", "Rate limited: retrying in 1 s (Ctrl+C stops)."]
    assert term.said("claude")[-1] == "Second try worked."
    assert len(server.message_requests) == 3
    assert "Try this" in messages_sent(server)
    term.line("/retry")
    assert term.said("studio")[-1] == "Nothing to retry: no reply failed or was cut short."
    quits_with_ctrl_d(term)
    read_as_a_screen_reader(bytes(term.term.output))


def test_accessible_makes_the_line_mode_the_default(
    studios: Studios, server: RecordingServer, tmp_path: Path
) -> None:
    env = {**child_env(tmp_path, TEST_KEY, server.base_url), "ACCESSIBLE": "1"}
    for args in ([], ["chat"]):
        term = LineTerm(Terminal([*studio_command(), *args], env, tmp_path))
        studios.started.append(term.term)
        term.wait_prompt(0, START_TIMEOUT)
        assert term.said("studio")[0].startswith("Line mode, writing to Claude Sonnet 4.6.")
        quits_with_ctrl_d(term)
        read_as_a_screen_reader(bytes(term.term.output))


def test_chat_without_plain_or_accessible_is_the_full_screen_studio(
    studios: Studios, server: RecordingServer
) -> None:
    term = studios.start("chat", key=TEST_KEY, base_url=server.base_url)
    term.expect_text("Enter sends", START_TIMEOUT)
    assert b"\x1b[?1049h" in term.output  # the alternate screen
    term.send(CTRL_Q)
    term.exits_cleanly()


def piped(
    tmp_path: Path, server: RecordingServer | None, stdin: str, *args: str, titles: bool = False
) -> subprocess.CompletedProcess[str]:
    url = server.base_url if server else None
    env = child_env(tmp_path, TEST_KEY if server else None, url, titles=titles)
    return subprocess.run([*studio_command(), "chat", *args], input=stdin, env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_a_piped_stdin_works_without_a_terminal_and_the_studio_continues_it(
    studios: Studios, server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(TextReply("PIPEDREPLY with \x1b]0;a title\x07 and \x1b[2J inside."))
    done = piped(tmp_path, server, "hello\n/quit\n", "--plain")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = read_as_a_screen_reader(done.stdout.encode())
    assert "you: hello" in lines
    # Control characters from outside are shown, never obeyed.
    assert "claude: PIPEDREPLY with ␛]0;a title␇ and ␛[2J inside." in lines
    assert lines[-1].startswith("studio: Conversation kept")

    term = studios.start("--continue", key=TEST_KEY, base_url=server.base_url)  # the full screen
    term.expect_text("PIPEDREPLY", START_TIMEOUT)
    term.send(CTRL_Q)
    term.exits_cleanly()


def test_haiku_titles_the_conversation_once_in_one_line_with_its_cost(
    server: RecordingServer, tmp_path: Path
) -> None:
    server.queue(TextReply("Grey water."), TextReply("Greyer still."))
    done = piped(
        tmp_path, server, "Rain over the old harbour wall\nmore\n/cost\n/quit\n", "--plain", titles=True
    )
    assert done.returncode == 0, done.stderr
    lines = read_as_a_screen_reader(done.stdout.encode())
    titled = [line for line in lines if line.startswith("studio: Titled")]
    assert titled == [titled[0]] and re.fullmatch(
        r"studio: Titled “Rain over the old harbour” by Claude Haiku 4\.5 \(\$0\.000\d+\)\.", titled[0]
    ), lines
    assert lines.index(titled[0]) == lines.index("claude: Grey water.") + 2  # after the reply's cost
    assert [r.json["model"] for r in server.message_requests] == [
        "claude-sonnet-4-6", "claude-haiku-4-5-20251001", "claude-sonnet-4-6"
    ]  # fmt: skip


def test_a_closed_stdout_ends_quietly(server: RecordingServer, tmp_path: Path) -> None:
    server.queue(TextReply("\n".join(f"line {n}" for n in range(200)), chunk_size=50))
    env = child_env(tmp_path, TEST_KEY, server.base_url)
    pipe = subprocess.PIPE
    chat = subprocess.Popen([*studio_command(), "chat", "--plain"], env=env, cwd=tmp_path,
                            stdin=pipe, stdout=pipe, stderr=pipe)  # fmt: skip
    assert chat.stdin is not None and chat.stdout is not None and chat.stderr is not None
    chat.stdin.write(b"hello\n")
    chat.stdin.flush()
    first = chat.stdout.readline()
    chat.stdout.close()  # as `| head -1` does
    chat.stdin.close()
    assert chat.wait(30) == 0
    assert first.startswith(b"studio: Line mode")
    assert chat.stderr.read() == b""


def test_bad_input_is_one_line_and_status_2(server: RecordingServer, tmp_path: Path) -> None:
    no_key = piped(tmp_path, None, "hello\n", "--plain")
    assert no_key.returncode == 2 and no_key.stdout == ""
    assert no_key.stderr.count("\n") == 1 and "set ANTHROPIC_API_KEY" in no_key.stderr

    bad_model = piped(tmp_path, server, "hello\n", "--plain", "--model", "no such model")
    env = child_env(tmp_path, TEST_KEY, server.base_url)
    studio = subprocess.run([*studio_command(), "--model", "no such model"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)  # fmt: skip
    assert bad_model.returncode == studio.returncode == 2
    assert (
        bad_model.stderr
        == studio.stderr
        == "studio: --model 'no such model' is not a model id (e.g. claude-sonnet-4-6)\n"
    )
    assert server.message_requests == []


def test_demo_saves_a_draft_offline(tmp_path: Path) -> None:
    done = piped(tmp_path, None, "Please write a launch announcement\n/draft\n", "--plain", "--demo")
    assert done.returncode == 0, done.stderr
    lines = read_as_a_screen_reader(done.stdout.encode())
    assert any(line.startswith("draft: saved launch.md (") for line in lines)
    assert (tmp_path / "drafts" / "launch.md").is_file()
    assert any(line.startswith("draft: launch.md · ") and line.endswith(" · saved") for line in lines)


def test_broken_tool_json_and_a_cut_reply_are_told_in_lines(
    server: RecordingServer, tmp_path: Path, fixtures_dir: Path
) -> None:
    server.queue(
        Replay(fixtures_dir / "tool_use_invalid_json_response.txt"),
        TextReply("Sorry, that call was garbled."),
        TextReply("Cut here", stop_reason="max_tokens"),
        TextReply("And finished."),
    )
    done = piped(tmp_path, server, "Weather?\nWrite a long one\n/retry\n", "--plain")
    assert done.returncode == 0, done.stderr
    lines = read_as_a_screen_reader(done.stdout.encode())
    refused = next(line for line in lines if line.startswith("tool: get_weather refused: "))
    assert "not valid JSON" in refused
    assert "claude: Sorry, that call was garbled." in lines
    cut = lines.index("claude: Cut here")
    assert lines[cut + 1].startswith("studio: ") and lines[cut + 1].endswith("/retry continues it.")
    assert "studio: Continuing the cut reply …" in lines
    assert "claude: And finished." in lines


def test_the_line_mode_imports_no_textual() -> None:
    """A slow link or a screen reader gains nothing from the full screen's imports."""
    probe = (
        "import sys, studio.cli, studio.plain.cli, studio.plain.chat; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich'}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_claudes_unsaved_edit_is_never_dropped_at_quit(
    studios: Studios, server: RecordingServer, tmp_path: Path
) -> None:
    draft = "# Launch\n\nWe ship the new studio today.\n"
    edit = {"old_text": "We ship the new studio today.", "new_text": "We ship today."}
    server.queue(
        ToolUseReply("save_draft", {"filename": "launch.md", "content": draft}),
        TextReply("Saved."),
        ToolUseReply("edit_draft", edit),
        TextReply("Tightened."),
    )
    term = start(studios, server)
    term.line("Write it")
    term.line("Tighten it")
    assert term.said("draft")[-1] == (
        "edited launch.md: “We ship the new studio today.” became “We ship today.” "
        "(not saved yet: /save saves it)"
    )
    before = term.prompts()
    term.term.send(CTRL_D)
    term.wait_prompt(before)
    assert term.said("studio")[-5:] == [
        "launch.md has unsaved changes. Save before quitting?",
        "1. Save",
        "2. Quit without saving",
        "3. Keep writing",
        "Type a number, or press Enter to leave it as it is.",
    ]
    term.term.send("1\r")
    assert term.term.wait_exit(10) == 0
    assert (tmp_path / "drafts" / "launch.md").read_text() == "# Launch\n\nWe ship today.\n"
    assert "saved launch.md (5 words)" in term.said("draft")
    read_as_a_screen_reader(bytes(term.term.output))

    # From a pipe there is no one to ask: the edit is kept as a recovery copy, and said so.
    server.queue(ToolUseReply("edit_draft", {"old_text": "We ship today.", "new_text": "Out now."}))
    server.queue(TextReply("Shorter still."))
    done = piped(tmp_path, server, "Tighten it more\n", "--plain", "--continue")
    lines = read_as_a_screen_reader(done.stdout.encode())
    assert "draft: launch.md · 5 words · saved" in lines  # the conversation's draft, reopened
    assert any(
        line.startswith("studio: launch.md has unsaved changes: kept as a recovery copy") for line in lines
    )
    assert (tmp_path / "drafts" / "launch.md").read_text() == "# Launch\n\nWe ship today.\n"
    again = piped(tmp_path, server, "", "--plain")
    assert (
        "studio: Unsaved text kept from an earlier session (launch.md): `studio` offers it." in again.stdout
    )
