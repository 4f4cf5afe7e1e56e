"""The writer's lines: GNU readline (editing, history kept in the state folder, Tab completes
commands) when studio talks to a terminal, plain reads from a pipe otherwise. Readline is told
not to send the escape sequences it would by default (bracketed paste, meta key), so nothing but
text and line ends reaches a screen reader."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from studio.plain.output import PROMPT, Output

HISTORY_LINES = 1000
CONTINUED = "\\"  # a line ending in a backslash goes on on the next one, as in a shell


class LineInput:
    def __init__(self, out: Output, history: Path, commands: Sequence[str]) -> None:
        self.out = out
        self.history = history
        self.interactive = sys.stdin.isatty() and sys.stdout.isatty()
        if self.interactive:
            self._readline(commands)

    def _readline(self, commands: Sequence[str]) -> None:
        import readline

        for setting in ("enable-bracketed-paste off", "enable-meta-key off", "bell-style none"):
            readline.parse_and_bind(f"set {setting}")
        readline.set_completer_delims(" ")
        readline.set_completer(lambda text, n: ([c for c in commands if c.startswith(text)] + [None])[n])
        readline.parse_and_bind("tab: complete")
        readline.set_history_length(HISTORY_LINES)
        with contextlib.suppress(OSError):
            readline.read_history_file(self.history)

    def read(self) -> str | None:
        """The writer's next message or command; None when input ends (Ctrl+D, the pipe's end).
        Ctrl+C at the prompt drops the line typed so far, as a shell does."""
        lines: list[str] = []
        while True:
            line = self._line()
            if line is None:
                return "\n".join(lines) if lines else None
            if not line.endswith(CONTINUED):
                return "\n".join([*lines, line])
            lines.append(line.removesuffix(CONTINUED))

    def _line(self) -> str | None:
        if not self.interactive:
            try:
                line = sys.stdin.readline()
            except KeyboardInterrupt:
                return None
            if not line:
                return None
            line = line.removesuffix("\n")
            self.out.say("you", line)  # the transcript shows what was sent
            return line
        while True:
            try:
                return input(PROMPT)
            except KeyboardInterrupt:
                self.out.end_line()
            except EOFError:
                self.out.end_line()
                return None
            except Exception:  # a signal's handler (SIGTERM, SIGHUP): what follows starts a line
                self.out.end_line()
                raise

    def choose(self, question: str, options: Sequence[str]) -> int | None:
        """A numbered choice instead of a menu: the index picked, or None (Enter, or no such
        number: nothing changes)."""
        self.out.say("studio", question)
        for number, option in enumerate(options, start=1):
            self.out.say("studio", f"{number}. {option}")
        self.out.say("studio", "Type a number, or press Enter to leave it as it is.")
        answer = (self._line() or "").strip()
        if answer.isdigit() and 1 <= int(answer) <= len(options):
            return int(answer) - 1
        if answer:
            self.out.say("studio", f"{answer!r} is not one of the numbers; nothing changed.")
        return None

    def close(self) -> None:
        """Keep the history, readable by the writer only (it holds what they typed)."""
        if not self.interactive:
            return
        import readline

        try:
            self.history.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(self.history, os.O_WRONLY | os.O_CREAT, 0o600))
            readline.write_history_file(self.history)
            os.chmod(self.history, 0o600)
        except OSError as exc:
            self.out.say("studio", f"The input history could not be kept in {self.history} ({exc}).")


@contextlib.contextmanager
def keys_quiet() -> Iterator[None]:
    """While Claude replies, keys are not echoed: a ^C or typed-ahead text would otherwise land
    in the middle of the reply's lines, unlabelled. Typed-ahead text waits for the next prompt."""
    if not sys.stdin.isatty():
        yield
        return
    import termios

    fd = sys.stdin.fileno()
    before = termios.tcgetattr(fd)
    quiet = list(before)
    quiet[3] &= ~(termios.ECHO | termios.ECHOCTL)
    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, before)
