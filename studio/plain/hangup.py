"""Signals between turns, while readline waits for a line: SIGTERM and SIGHUP quit, keeping
everything; SIGINT (Ctrl+C) drops the line typed so far.

Python runs a signal's handler only when the main thread gets back to Python code. Readline waits
in select(), and a signal that lands just before it (while the prompt is drawn, or a key echoed)
interrupts nothing: the handler would wait for the next key, which after a `kill` may never come,
and a Ctrl+C would seem ignored. So a watcher thread hears each signal through the wakeup fd and,
if the handler has not run shortly after, sends the signal again to the main thread, which
interrupts select() this time.
"""

from __future__ import annotations

import os
import signal
import threading

ENDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)  # a closed SSH link, a `kill`
WATCHED = (signal.SIGINT, *ENDING_SIGNALS)
NUDGE_AFTER = 0.2  # seconds the handler may take before the main thread is woken again


class Hangup(Exception):
    """SIGTERM or SIGHUP between turns: quit as /quit does, without questions."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class HangupWatch:
    def __init__(self) -> None:
        self._heard = threading.Event()  # the handler ran: no more nudges, no second Hangup
        self._interrupted = threading.Event()  # SIGINT's handler ran, since the watcher last heard one
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        threading.Thread(target=self._watch, name="studio-hangup", daemon=True).start()

    def arm(self) -> None:
        """(Again) the handlers of SIGINT, SIGTERM and SIGHUP; after a turn, whose loop had its own."""
        for signum in WATCHED:
            signal.signal(signum, self._handler)
        signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)

    def _handler(self, signum: int, frame: object) -> None:
        if signum == signal.SIGINT:
            self._interrupted.set()
            raise KeyboardInterrupt
        if not self._heard.is_set():
            self._heard.set()
            raise Hangup(signum)

    def _watch(self) -> None:
        main = threading.main_thread().ident
        while data := os.read(self._read, 64):
            for signum in data:
                if signum not in WATCHED or main is None:
                    continue
                ran = self._interrupted if signum == signal.SIGINT else self._heard
                while not ran.wait(NUDGE_AFTER):
                    signal.pthread_kill(main, signum)
                self._interrupted.clear()
