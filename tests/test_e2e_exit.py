"""How `studio` ends when things go wrong, in a real pty: a crash, SIGTERM, SIGHUP.

Each asserts on the exit status, the raw bytes written to the terminal (modes restored, no
traceback, no key) and what is on disk afterwards.
"""

from __future__ import annotations

import signal
import stat
import sys
from pathlib import Path

import pytest
from conftest import TEST_KEY
from terminal import TAB, Studios, Terminal, child_env, studio_command, wait_for_main_screen

from studio.loopback import LoopbackServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal"),
]

ALT_SCREEN_OFF, MOUSE_OFF = b"\x1b[?1049l", b"\x1b[?1000l"
F1 = "\x1bOP"

# The crash is made by the test, not by a hook in studio: Python imports `sitecustomize` from
# PYTHONPATH at start-up, and this one breaks the F1 action of the installed app.
CRASHING_SITE = """
import studio.ui.app

def broken_help(self):
    key = self.settings.api_key
    raise RuntimeError(f"help broke while holding {key}")

studio.ui.app.StudioApp.action_help = broken_help
"""


def test_a_crash_exits_non_zero_with_a_private_masked_report(tmp_path: Path, server: LoopbackServer) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(CRASHING_SITE)
    env = child_env(tmp_path, TEST_KEY, server.base_url) | {"PYTHONPATH": str(hook)}
    term = Terminal(studio_command(), env, tmp_path)
    try:
        wait_for_main_screen(term)
        term.send(F1)
        status = term.wait_exit(timeout=15)
    finally:
        term.close()
    output = bytes(term.output)
    assert status == 1
    assert ALT_SCREEN_OFF in output and MOUSE_OFF in output
    assert b"Traceback" not in output and TEST_KEY.encode() not in output
    reports = list((tmp_path / "xdg_state_home" / "studio" / "crashes").glob("crash-*.txt"))
    assert len(reports) == 1
    report = reports[0]
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    text = report.read_text()
    assert "RuntimeError: help broke while holding sk-ant-test-…key0" in text
    assert "broken_help" in text and "studio 0." in text
    assert TEST_KEY not in text and "key = " not in text.split("Traceback", 1)[0]
    assert f"studio: crashed, sorry. The report (no key in it) is {report}" in " ".join(
        output.decode(errors="replace").split()
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_termination_signal_keeps_the_unsaved_draft_and_restores_the_terminal(
    studios: Studios, server: LoopbackServer, signum: signal.Signals
) -> None:
    term = studios.start(key=TEST_KEY, base_url=server.base_url)
    wait_for_main_screen(term)
    term.send(TAB)  # from the message box to the draft
    term.type("Words nobody saved")
    term.expect_text("Draft · untitled ●")  # typed into the draft, which is now unsaved
    term.child.kill(signum)
    assert term.wait_exit(timeout=10) == 128 + signum
    output = bytes(term.output)
    assert ALT_SCREEN_OFF in output and MOUSE_OFF in output
    assert output.rfind(b"\x1b[?25h") > output.rfind(b"\x1b[?25l"), "cursor left hidden"
    assert b"Traceback" not in output

    again = studios.start(key=TEST_KEY, base_url=server.base_url)
    again.expect_text("Restore it?", timeout=25)
    assert "(3 words) was kept" in " ".join(again.text().replace("│", " ").split())
