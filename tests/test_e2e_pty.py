"""End to end: the installed `studio` command in a real pseudo-terminal, its screen read back with pyte.

These run the program a writer runs (console script, real terminal driver, real SDK over HTTP to the
loopback server) and assert only on what the terminal shows, what the server received, and how the
process exits.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import TEST_KEY

from studio.loopback import LoopbackServer, RecordedRequest, TextReply

pexpect = pytest.importorskip("pexpect")
pyte = pytest.importorskip("pyte")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal"),
]

ROWS, COLUMNS = 30, 100
START_TIMEOUT = 25.0  # first start imports Textual, then the SDK; CI machines are slow
STEP_TIMEOUT = 15.0
EXIT_TIMEOUT = 5.0

CTRL_Q = "\x11"
ENTER = "\r"
ESCAPE = "\x1b"
F2 = "\x1bOQ"


def studio_command() -> list[str]:
    """The installed console script: next to this interpreter first, then on PATH, else `-m studio`."""
    found = (shutil.which("studio", path=str(Path(sys.executable).parent))
             or shutil.which("studio"))
    return [found] if found else [sys.executable, "-m", "studio"]


def child_env(home: Path, key: str | None = None, base_url: str | None = None) -> dict[str, str]:
    """A small explicit environment: nothing (no real key, no TEXTUAL_* switch) leaks in from ours."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "HOME": str(home),
    }
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    if key is not None:
        env["ANTHROPIC_API_KEY"] = key
    if base_url is not None:
        env["ANTHROPIC_BASE_URL"] = base_url
    return env


class Terminal:
    """A child process in a pty, with a pyte screen fed from everything it writes."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.output = bytearray()  # every byte the program wrote, for leak checks
        self.eof = False
        self.child = pexpect.spawn(argv[0], argv[1:], env=env, cwd=str(cwd),
                                   dimensions=(ROWS, COLUMNS))

    def pump(self, wait: float = 0.05) -> None:
        """Feed the screen whatever the program has written, waiting up to `wait` for the first byte."""
        while not self.eof:
            try:
                data = self.child.read_nonblocking(65536, timeout=wait)
            except pexpect.TIMEOUT:
                return
            except pexpect.EOF:
                self.eof = True
                return
            self.output.extend(data)
            self.stream.feed(data)
            wait = 0  # drain the rest without waiting

    def text(self) -> str:
        """The screen as it stands, one line per row."""
        return "\n".join(self.screen.display)

    def wait_until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            if condition():
                return
            if self.eof or time.monotonic() > deadline:
                state = "the program exited" if self.eof else f"timed out after {timeout:g}s"
                raise AssertionError(f"{state} waiting for {what}; the screen was:\n{self.text()}")

    def expect_text(self, text: str, timeout: float = STEP_TIMEOUT) -> str:
        """Wait until `text` is on screen; return the screen at that moment."""
        self.wait_until(lambda: text in self.text(), timeout, repr(text))
        return self.text()

    def send(self, data: str) -> None:
        self.child.send(data)

    def type(self, text: str) -> None:
        """Type `text` and wait until it shows (so a following Enter is not read as part of it)."""
        self.send(text)
        self.expect_text(text)

    def wait_exit(self, timeout: float = EXIT_TIMEOUT) -> int | None:
        """Wait for the program to exit by itself; its exit status (None if killed by a signal)."""
        self.wait_until(lambda: self.eof, timeout, "the program to exit")
        deadline = time.monotonic() + timeout
        while self.child.isalive():
            if time.monotonic() > deadline:
                raise AssertionError("the terminal closed but the process did not exit")
            time.sleep(0.02)
        self.child.close()  # already exited: this only closes the pty and keeps the status
        assert self.child.signalstatus is None, f"killed by signal {self.child.signalstatus}"
        return self.child.exitstatus

    def quit(self) -> None:
        """Ctrl+Q, then a clean exit: status 0, no traceback, terminal modes restored."""
        self.send(CTRL_Q)
        status = self.wait_exit()
        assert b"Traceback" not in self.output, self.output.decode(errors="replace")[-3000:]
        assert status == 0
        assert b"\x1b[?1049l" in self.output, "the alternate screen was not left"
        assert self.output.rfind(b"\x1b[?25h") > self.output.rfind(b"\x1b[?25l"), "cursor left hidden"

    def close(self) -> None:
        """Kill the child if a failed test left it running."""
        if not self.child.closed:
            self.child.close(force=True)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Callable[..., Terminal]]:
    """Start `studio` in a pty with cwd and every home directory inside tmp_path."""
    started: list[Terminal] = []

    def start(key: str | None = None, base_url: str | None = None) -> Terminal:
        term = Terminal(studio_command(), child_env(tmp_path, key, base_url), tmp_path)
        started.append(term)
        return term

    yield start
    for term in started:
        term.close()


def _body_text(request_json: object) -> str:
    return json.dumps(request_json, ensure_ascii=False)


def _sent_key(request: RecordedRequest) -> str | None:
    """The key a request authenticated with (the SDK may use either header)."""
    bearer = request.headers.get("authorization", "")
    return request.headers.get("x-api-key") or bearer.removeprefix("Bearer ") or None


def _wait_for_main_screen(term: Terminal, model_name: str) -> None:
    """First paint: the message box with its title (model) and its hint."""
    term.wait_until(lambda: f"to {model_name}" in term.text() and "Enter sends" in term.text(),
                    START_TIMEOUT, f"the message box 'to {model_name}' with 'Enter sends'")


def test_a_reply_streams_on_screen_costs_and_quits_cleanly(
        server: LoopbackServer, terminal: Callable[..., Terminal]) -> None:
    words = " ".join(f"word{i}" for i in range(110))
    server.queue(TextReply(f"ALPHAFIRST {words} OMEGALAST", input_tokens=1000, output_tokens=200,
                           chunk_size=8, chunk_delay=0.02))
    term = terminal(key=TEST_KEY, base_url=server.base_url)
    _wait_for_main_screen(term, "Claude Sonnet 4.6")

    term.type("Hello from the terminal")
    term.send(ENTER)
    term.wait_until(lambda: "ALPHAFIRST" in term.text() and "writing …" in term.text(),
                    STEP_TIMEOUT, "the start of the reply, still being written")
    assert "OMEGALAST" not in term.text(), "the whole reply appeared at once, not streamed"

    term.expect_text("OMEGALAST")
    # 1,000 in x $3 + 200 out x $15 per million tokens on Sonnet 4.6 = $0.0060.
    term.wait_until(lambda: term.text().count("$0.0060") >= 3, STEP_TIMEOUT,
                    "$0.0060 in the reply, the session total and the replies list")
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
        server: LoopbackServer, terminal: Callable[..., Terminal]) -> None:
    server.queue(TextReply("HAIKUREPLY done.", input_tokens=1000, output_tokens=200))
    term = terminal(key=TEST_KEY, base_url=server.base_url)
    _wait_for_main_screen(term, "Claude Sonnet 4.6")

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
        tmp_path: Path, terminal: Callable[..., Terminal]) -> None:
    assert not (tmp_path / ".env").exists()
    term = terminal()
    term.expect_text("Continue without a key", START_TIMEOUT)
    term.expect_text("ANTHROPIC_API_KEY")
    term.expect_text("Welcome to studio")

    term.send(ESCAPE)
    term.expect_text("No API key yet")
    term.wait_until(lambda: "Continue without a key" not in term.text(), STEP_TIMEOUT,
                    "the onboarding dialog to close")

    term.type("Anyone there?")
    term.send(ENTER)
    screen = term.expect_text("No API key, so nothing")
    assert "Anyone there?" in screen  # still in the box
    assert "╭─ You" not in screen  # nothing was added to the conversation
    term.quit()


def test_d_a_pasted_key_is_checked_saved_and_never_shown(
        server: LoopbackServer, tmp_path: Path, terminal: Callable[..., Terminal]) -> None:
    server.queue(TextReply("KEYWORKS fine.", input_tokens=10, output_tokens=5))
    term = terminal(base_url=server.base_url)
    term.expect_text("Continue without a key", START_TIMEOUT)

    term.send(TEST_KEY)
    term.wait_until(lambda: "•" * 20 in term.text(), STEP_TIMEOUT, "the key, masked as it is typed")
    term.send(ENTER)
    masked = "sk-ant-test-…ghij"
    term.expect_text(f"Key {masked} works")
    term.wait_until(lambda: "Continue without a key" not in term.text(), STEP_TIMEOUT,
                    "the onboarding dialog to close")

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
