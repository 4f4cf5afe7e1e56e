"""Every request of a long conversation makes buffers of megabytes (its JSON, the parts it is built
from): once they are freed, `collecting.give_back` returns the memory they took to the system,
which glibc would otherwise keep in its heap for later."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

PROBE = """
import sys
from pathlib import Path

def rss_mb():
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 1e6

body = b"x" * 20_000_000  # a request's JSON, sent and freed: glibc's threshold rises to its size
del body
before = rss_mb()
parts = [b"y" * 2_000_000 for _ in range(10)]  # the next request's parts, as big again
del parts
if sys.argv[1] == "given back":
    from studio.ui.collecting import give_back
    give_back()
print(rss_mb() - before)
"""


def kept_mb(how: str) -> float:
    """Memory still held (MB) after 20 MB of 2 MB buffers were freed, in a fresh process."""
    done = subprocess.run([sys.executable, "-c", PROBE, how], capture_output=True, text=True, check=True)
    return float(done.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc thresholds")
def test_freed_big_buffers_go_back_to_the_system() -> None:
    assert kept_mb("kept") > 15, "glibc keeps them by default (else this test shows nothing)"
    assert kept_mb("given back") < 2
