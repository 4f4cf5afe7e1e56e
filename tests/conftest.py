"""Shared fixtures: the loopback Messages API server (it records what it is sent, see fakeapi), and
the installed `studio` started in pseudo-terminals (see terminal)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import aclosing
from pathlib import Path

import pytest
from fakeapi import RecordingServer
from terminal import Studios, Terminal

from studio.config import Settings
from studio.core.events import SessionEvent, TextDelta
from studio.core.session import Session

# Real captured streams, copied into the repository (see their README and LICENSE): the suite
# reads nothing outside the repository.
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "anthropic-sse"
TEST_KEY = "sk-ant-test-FAKE-key0"  # fake, and short enough for secret scanners


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real config, or picks up a real key from the environment."""
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer(api_key=TEST_KEY) as running:
        yield running


def fixture_names() -> list[str]:
    return sorted(p.name for p in FIXTURES.glob("*.txt"))


os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture
def studios(tmp_path: Path) -> Iterator[Studios]:
    """Starts `studio` in ptys with cwd and every home directory inside tmp_path; closes them."""
    started = Studios(tmp_path)
    yield started
    started.close()


@pytest.fixture
def terminal(studios: Studios) -> Callable[..., Terminal]:
    """Start one `studio` in a pty (as `studios.start`)."""
    return studios.start


def open_session(server: RecordingServer, tmp_path: Path, **kw: object) -> Session:
    """A Session against the loopback server, as a front end opens one (its store in the test's
    home), drafts in tmp_path/drafts."""
    settings = Settings(api_key=TEST_KEY, base_url=server.base_url, drafts_dir=tmp_path / "drafts", **kw)  # type: ignore[arg-type]
    session, problem = Session.open(settings)
    assert problem is None
    return session


async def run(events: object, stop_after_text: Session | None = None) -> list[SessionEvent]:
    """Every event of a turn; `stop_after_text`: that session is stopped at the first text."""
    seen: list[SessionEvent] = []
    async with aclosing(events) as stream:  # type: ignore[type-var]
        async for event in stream:
            seen.append(event)
            if stop_after_text is not None and isinstance(event, TextDelta):
                stop_after_text.stop()
    return seen
