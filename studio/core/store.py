"""SQLite store: what every response cost, so spend survives restarts and budgets can count a day.

Schema changes go in MIGRATIONS, in order, never edited once released (as simonw/llm does).
"""

from __future__ import annotations

import sqlite3
import time
from datetime import date, datetime
from pathlib import Path

from studio.core.usage import ReplyCost

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE responses (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        day TEXT NOT NULL,
        model TEXT NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cache_write_5m_tokens INTEGER NOT NULL,
        cache_write_1h_tokens INTEGER NOT NULL,
        usd REAL,
        estimated INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX responses_day ON responses(day);
    """,
)


class Store:
    """One database file; opened per call site, cheap enough for a few writes a minute."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            self._migrate(db)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=5)

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")

    def record(self, cost: ReplyCost, at: float | None = None) -> None:
        at = time.time() if at is None else at
        u = cost.usage
        with self._connect() as db:
            db.execute(
                "INSERT INTO responses (at, day, model, input_tokens, output_tokens, "
                "cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, usd, estimated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (at, datetime.fromtimestamp(at).date().isoformat(), cost.model, u.input, u.output,
                 u.cache_read, u.cache_write_5m, u.cache_write_1h, cost.usd, int(cost.estimated)))

    def spent_on(self, day: date) -> float:
        """Dollars of known-price responses on `day` (local time)."""
        with self._connect() as db:
            row = db.execute("SELECT COALESCE(SUM(usd), 0) FROM responses WHERE day = ?",
                             (day.isoformat(),)).fetchone()
        return float(row[0])
