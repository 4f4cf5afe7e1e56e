"""Drive the installed `studio` in a real pseudo-terminal and read its screen back with pyte.

Shared by the pty end-to-end tests and benchmarks/cold_start.py. Needs pexpect and pyte (test extras);
no pytest here, so a plain script can import it too.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pexpect
import pyte

ROWS, COLUMNS = 30, 100
START_TIMEOUT = 25.0  # first start imports Textual, then the SDK; CI machines are slow
STEP_TIMEOUT = 15.0
EXIT_TIMEOUT = 5.0

CTRL_Q = "\x11"
ENTER = "\r"
ESCAPE = "\x1b"
TAB = "\t"
F2 = "\x1bOQ"
F6 = "\x1b[17~"
SHIFT_TAB = "\x1b[Z"
PROMPT_TITLE = "─ to "  # the message box's top border: "╭─ to Claude Sonnet 4.6 ─╮"


def studio_command() -> list[str]:
    """The installed console script: next to this interpreter first, then on PATH, else `-m studio`."""
    found = shutil.which("studio", path=str(Path(sys.executable).parent)) or shutil.which("studio")
    return [found] if found else [sys.executable, "-m", "studio"]


def child_env(
    home: Path, key: str | None = None, base_url: str | None = None, *, titles: bool = False
) -> dict[str, str]:
    """A small explicit environment: nothing (no real key, no TEXTUAL_* switch) leaks in from ours.
    `titles`: off unless asked for (a config file saying so, if there is none yet), so a test of
    something else sees only the requests and costs it scripts: a conversation's title is asked
    for after its first reply."""
    config = home / "xdg_config_home" / "studio" / "config.toml"
    if not titles and not config.exists():
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text("titles = false\n", encoding="utf-8")
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


def _as_typed_into() -> None:
    """In the child, before it starts: Ctrl+C and Ctrl+\\ do what they do in a terminal, even when
    the tests run in the background (a shell without job control starts background commands with
    SIGINT and SIGQUIT ignored, and a child inherits that: Ctrl+C would then do nothing)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


class Terminal:
    """A child process in a pty, with a pyte screen fed from everything it writes."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.output = bytearray()  # every byte the program wrote, for leak checks
        self.eof = False
        self.child = pexpect.spawn(
            argv[0], argv[1:], env=env, cwd=str(cwd), dimensions=(ROWS, COLUMNS), preexec_fn=_as_typed_into
        )

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
        """Pump the screen until `condition()` holds; AssertionError (with the screen) on timeout."""
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

    def box_text(self, title: str) -> str:
        """The words inside the rounded box whose top border shows `title`, wrapped rows joined."""
        rows = self.screen.display
        for top, row in enumerate(rows):
            at = row.find(title)
            left, right = row.rfind("╭", 0, max(at, 0)), row.find("╮", max(at, 0))
            if at < 0 or left < 0 or right < 0:
                continue
            inside: list[str] = []
            for below in rows[top + 1 :]:
                if below[left : left + 1] != "│":
                    break
                inside.append(below[left + 1 : right])
            return " ".join(" ".join(inside).split())
        return ""

    def type(self, text: str) -> None:
        """Type `text` and wait until it shows (so a following Enter is not read as part of it):
        on one row, or wrapped in the message box."""
        self.send(text)
        words = " ".join(text.split())
        self.wait_until(
            lambda: text in self.text() or words in self.box_text(PROMPT_TITLE), STEP_TIMEOUT, repr(text)
        )

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
        self.exits_cleanly()

    def exits_cleanly(self) -> None:
        """The program ends by itself with status 0, no traceback and terminal modes restored."""
        status = self.wait_exit()
        assert b"Traceback" not in self.output, self.output.decode(errors="replace")[-3000:]
        assert status == 0
        assert b"\x1b[?1049l" in self.output, "the alternate screen was not left"
        assert self.output.rfind(b"\x1b[?25h") > self.output.rfind(b"\x1b[?25l"), "cursor left hidden"

    def crash(self, timeout: float = EXIT_TIMEOUT) -> None:
        """SIGKILL, as a power cut or the OOM killer would: the program gets no chance to clean up."""
        self.child.kill(signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while self.child.isalive():
            if time.monotonic() > deadline:
                raise AssertionError("the process survived SIGKILL")
            time.sleep(0.02)
        self.child.close(force=True)
        assert self.child.signalstatus == signal.SIGKILL

    def close(self) -> None:
        """Kill the child if a failed test left it running."""
        if not self.child.closed:
            self.child.close(force=True)


class Studios:
    """Starts `studio` in ptys with cwd and every home directory inside `home`; closes leftovers."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.started: list[Terminal] = []

    def start(
        self, *args: str, key: str | None = None, base_url: str | None = None, titles: bool = False
    ) -> Terminal:
        """`titles`: as for child_env."""
        term = Terminal(
            [*studio_command(), *args], child_env(self.home, key, base_url, titles=titles), self.home
        )
        self.started.append(term)
        return term

    def close(self) -> None:
        for term in self.started:
            term.close()


def wait_for_main_screen(term: Terminal, model_name: str = "Claude Sonnet 4.6") -> None:
    """First paint: the message box with its title (model) and its hint."""
    term.wait_until(
        lambda: f"to {model_name}" in term.text() and "Enter sends" in term.text(),
        START_TIMEOUT,
        f"the message box 'to {model_name}' with 'Enter sends'",
    )
