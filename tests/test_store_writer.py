"""The store never holds up the writer: a database another program has locked does not freeze
typing, and once the lock is gone every message, reply and cost is on disk."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from conftest import TEST_KEY
from ui_helpers import chat_text, make_app, send, wait_for

from studio import locations
from studio.loopback import LoopbackServer, TextReply
from studio.ui.prompt import PromptArea

SIZE = (120, 36)


def hold_lock(path: Path, seconds: float, held: threading.Event) -> threading.Thread:
    """Another program (a backup, a second studio) holding the database's write lock."""

    def run() -> None:
        db = sqlite3.connect(path, timeout=10, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        held.set()
        threading.Event().wait(seconds)
        db.execute("COMMIT")
        db.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def stored(path: Path) -> tuple[list[tuple[str, str]], list[tuple[int, int]]]:
    with sqlite3.connect(path) as db:
        messages = db.execute("SELECT role, content FROM messages ORDER BY session_id, position")
        responses = db.execute("SELECT output_tokens, reply FROM responses ORDER BY id")
        return messages.fetchall(), responses.fetchall()


async def test_a_held_lock_neither_freezes_typing_nor_loses_anything(
    server: LoopbackServer, tmp_path: Path
) -> None:
    server.queue(TextReply("First kept.", output_tokens=11), TextReply("Second kept.", output_tokens=22))
    app = make_app(server, TEST_KEY, tmp_path)
    path = locations.data_dir() / "studio.db"
    async with app.run_test(size=SIZE) as pilot:
        await app.session.engine_ready.wait()
        held = threading.Event()
        locker = hold_lock(path, 6.0, held)
        assert held.wait(5)
        loop = asyncio.get_running_loop()
        stalls = [0.0]

        async def watch() -> None:  # the UI loop's longest stall while the lock is held
            while locker.is_alive():
                began = loop.time()
                await asyncio.sleep(0.01)
                stalls[0] = max(stalls[0], loop.time() - began - 0.01)

        watcher = asyncio.create_task(watch())
        await send(pilot, "one")
        await wait_for(pilot, lambda: "First kept." in chat_text(app) and not app.session.running)
        # Keep typing while the writes wait for the lock: measure the longest gap between keys.
        longest = 0.0
        for key in "while locked":
            began = loop.time()
            await pilot.press("space" if key == " " else key)
            longest = max(longest, loop.time() - began)
        assert app.query_one(PromptArea).text == "while locked"
        print(f"longest key press with the database locked: {longest * 1000:.0f} ms")
        assert longest < 0.5
        await wait_for(pilot, lambda: "not being kept on disk right now" in chat_text(app))
        app.query_one(PromptArea).clear()
        await send(pilot, "two")  # the lock outlived the busy timeout: keeping goes on anyway
        await wait_for(pilot, lambda: "Second kept." in chat_text(app) and not app.session.running)
        await asyncio.to_thread(locker.join, 10)
        await watcher
        print(f"longest UI loop stall with the database locked: {stalls[0] * 1000:.0f} ms")
        assert stalls[0] < 0.5
        await wait_for(pilot, lambda: "kept on disk again; nothing was lost" in chat_text(app))
        assert app.session.keeper.flush(5)
    messages, responses = stored(path)
    assert [role for role, _ in messages] == ["user", "assistant", "user", "assistant"]
    assert "First kept." in messages[1][1] and "Second kept." in messages[3][1]
    assert responses == [(11, 1), (22, 2)]
