"""SQLite store: every conversation as it happens, and what every response cost, so neither a quit
nor a crash loses a reply, and spend survives restarts so budgets can count a day.

Schema changes go in MIGRATIONS, in order, never edited once released (as simonw/llm does).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from studio.core.conversation import TouchedDraft
from studio.core.ledger import Purpose
from studio.core.migrations import MIGRATIONS
from studio.core.usage import ReplyCost, TokenUsage

PartialStatus = Literal["streaming", "failed", "stopped"]


@dataclass(frozen=True)
class SessionSummary:
    """One line of the conversations picker. `title`: the model-made title when there is one,
    else the writer's first message."""

    id: int
    updated: float
    title: str
    replies: int
    usd: float


@dataclass(frozen=True)
class SavedMessage:
    """A message as the API sees it, with the model and reply number that wrote it (assistant only)."""

    message: dict[str, Any]
    model: str | None
    reply: int | None


@dataclass(frozen=True)
class SavedResponse:
    """One priced API response, without its price: prices are looked up again when shown.
    A title's (`purpose` "title") has reply number 0: it is not a reply."""

    reply: int
    model: str
    usage: TokenUsage
    at: float
    estimated: bool
    purpose: Purpose = "reply"


@dataclass(frozen=True)
class SavedPartial:
    """A reply round that did not finish (or was stopped): its text so far and how it ended."""

    position: int
    model: str | None
    reply: int | None
    text: str
    status: PartialStatus


@dataclass(frozen=True)
class SavedSession:
    id: int
    messages: list[SavedMessage]
    responses: list[SavedResponse]
    draft: str | None
    unsent: str
    partials: list[SavedPartial] = field(default_factory=list)
    touched: dict[str, TouchedDraft] = field(default_factory=dict)  # by tool_use id
    named: str = ""  # the title a model made for it ("" if none)
    title_responses: list[SavedResponse] = field(default_factory=list)  # what that title cost

    @property
    def priced(self) -> list[SavedResponse]:
        """Every response the conversation paid for: its replies', then its title's."""
        return [*self.responses, *self.title_responses]

    @property
    def last_model(self) -> str | None:
        """The model of the newest reply, finished or not (a failed one is only a partial); on
        a tie, the finished one (a retry, in a conversation kept before numbers were unique)."""
        replies = [(m.reply or 0, 1, m.model) for m in self.messages if m.model]
        replies += [(p.reply or 0, 0, p.model) for p in self.partials if p.model]
        return max(replies)[2] if replies else None

    @property
    def last_reply(self) -> int:
        """The highest reply number used: a new reply's must be higher, or a failed or
        interrupted one's mark (kept by number) would land on it."""
        numbers = [m.reply for m in self.messages] + [p.reply for p in self.partials]
        return max([n for n in numbers if n is not None] + [r.reply for r in self.responses], default=0)


def title_of(messages: list[dict[str, Any]]) -> str:
    """The first thing the writer said, on one line: how they will recognise the conversation."""
    for message in messages:
        if message["role"] == "user":
            for block in message["content"]:
                if block.get("type") == "text" and block["text"].strip():
                    return " ".join(block["text"].split())[:120]
    return ""


class Store:
    """One database file in WAL mode (readers never wait for a writer); a connection per call,
    cheap enough for a few writes a minute. Writes run on the Keeper's thread, never the UI's."""

    def __init__(self, path: Path, busy_timeout: float = 1.0):
        self.path = path
        self.busy_timeout = busy_timeout
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)  # conversations are private writing: owner only
        path.chmod(0o600)  # a database from the first release was created readable by all
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            self._migrate(db)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=self.busy_timeout)

    def connect(self) -> sqlite3.Connection:
        """A connection for another core module's own tables (batch jobs): a transaction when
        used with `with`, as here."""
        return self._connect()

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")

    def record(
        self,
        cost: ReplyCost,
        at: float | None = None,
        *,
        session: int | None = None,
        reply: int | None = None,
        purpose: Purpose = "reply",
    ) -> None:
        with self._connect() as db:
            self.record_in(db, cost, at, session=session, reply=reply, purpose=purpose)

    @staticmethod
    def record_in(
        db: sqlite3.Connection,
        cost: ReplyCost,
        at: float | None = None,
        *,
        session: int | None = None,
        reply: int | None = None,
        purpose: Purpose = "reply",
    ) -> None:
        """`record` inside the caller's transaction: a batch result and its cost are kept together
        (one commit for many), or neither."""
        at = time.time() if at is None else at
        u = cost.usage
        db.execute(
            "INSERT INTO responses (at, day, model, input_tokens, output_tokens, "
            "cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, usd, estimated, "
            "session_id, reply, purpose) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                at,
                datetime.fromtimestamp(at).date().isoformat(),
                cost.model,
                u.input,
                u.output,
                u.cache_read,
                u.cache_write_5m,
                u.cache_write_1h,
                cost.usd,
                int(cost.estimated),
                session,
                reply,
                purpose,
            ),
        )

    # -- conversations ------------------------------------------------------------------------

    def new_session(self) -> int:
        now = time.time()
        with self._connect() as db:
            cursor = db.execute("INSERT INTO sessions (started, updated) VALUES (?, ?)", (now, now))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def save_messages(
        self,
        session: int,
        messages: list[dict[str, Any]],
        start: int,
        model: str | None = None,
        reply: int | None = None,
        touched: dict[str, TouchedDraft] | None = None,
    ) -> None:
        """Make the stored conversation equal `messages`, rewriting only from `start` on (the
        history before it never changes). Assistant messages from `start` are marked as written
        by `model` in reply number `reply`; earlier ones keep their marks. The tool calls from
        `start` on are stored with the draft each touched, if `touched` names one."""
        rows = [
            (
                session,
                position,
                m["role"],
                json.dumps(m["content"], ensure_ascii=False),
                model if m["role"] == "assistant" else None,
                reply if m["role"] == "assistant" else None,
            )
            for position, m in enumerate(messages[start:], start=start)
        ]
        calls = [
            block["id"]
            for m in messages[start:]
            if m["role"] == "assistant"
            for block in m["content"]
            if block.get("type") == "tool_use"
        ]
        touched = touched or {}
        with self._connect() as db:
            db.execute("DELETE FROM messages WHERE session_id = ? AND position >= ?", (session, start))
            db.executemany("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?)", rows)
            db.executemany(
                "DELETE FROM tool_calls WHERE session_id = ? AND tool_use_id = ?",
                [(session, call) for call in calls],
            )
            db.executemany(
                "INSERT INTO tool_calls VALUES (?, ?, ?, ?)",
                [
                    (session, call, touched[call].kind, touched[call].name)
                    for call in calls
                    if call in touched
                ],
            )
            db.execute(
                "UPDATE sessions SET updated = ?, title = ? WHERE id = ?",
                (time.time(), title_of(messages), session),
            )

    def rewrite_messages(self, session: int, messages: list[SavedMessage]) -> None:
        """Replace a conversation's messages, each with its own marks (a repaired conversation)."""
        rows = [
            (
                session,
                position,
                m.message["role"],
                json.dumps(m.message["content"], ensure_ascii=False),
                m.model,
                m.reply,
            )
            for position, m in enumerate(messages)
        ]
        with self._connect() as db:
            db.execute("DELETE FROM messages WHERE session_id = ?", (session,))
            db.executemany("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?)", rows)

    def keep_partial(self, key: str, session: int, partial: SavedPartial) -> None:
        """Write (or overwrite) one round's text so far, under a key the UI chose for it."""
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO partials VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    session,
                    partial.position,
                    partial.model,
                    partial.reply,
                    partial.text,
                    partial.status,
                    time.time(),
                ),
            )
            db.execute("UPDATE sessions SET updated = ? WHERE id = ?", (time.time(), session))

    def drop_partial(self, key: str) -> None:
        """The round finished: its text is in `messages` now."""
        with self._connect() as db:
            db.execute("DELETE FROM partials WHERE id = ?", (key,))

    def name_session(self, session: int, title: str) -> None:
        """The title a model made for the conversation (its first message stays in `title`)."""
        with self._connect() as db:
            db.execute("UPDATE sessions SET named = ? WHERE id = ?", (title, session))

    def save_context(self, session: int, *, draft: str | None, unsent: str) -> None:
        """The draft that was open and the text typed but not sent: what a resume brings back."""
        with self._connect() as db:
            db.execute("UPDATE sessions SET draft = ?, unsent = ? WHERE id = ?", (draft, unsent, session))

    def delete_session(self, session: int) -> None:
        """Forget a conversation's messages; what its replies cost still counts in the day's spend."""
        with self._connect() as db:
            db.execute("DELETE FROM messages WHERE session_id = ?", (session,))
            db.execute("DELETE FROM partials WHERE session_id = ?", (session,))
            db.execute("DELETE FROM tool_calls WHERE session_id = ?", (session,))
            db.execute("DELETE FROM sessions WHERE id = ?", (session,))
            db.execute(
                "UPDATE responses SET session_id = NULL, reply = NULL WHERE session_id = ?", (session,)
            )

    def sessions(self, limit: int = 200) -> list[SessionSummary]:
        """Conversations with anything in them, most recently used first."""
        return self._summaries("s.title != '' OR s.unsent != ''", (), limit)

    def summary(self, session: int) -> SessionSummary | None:
        """One conversation's line (`studio export`), whatever is in it."""
        found = self._summaries("s.id = ?", (session,), 1)
        return found[0] if found else None

    def _summaries(self, where: str, params: tuple[Any, ...], limit: int) -> list[SessionSummary]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT s.id, s.updated, COALESCE(NULLIF(s.named, ''), s.title),"
                " (SELECT COUNT(DISTINCT reply) FROM messages m"
                "   WHERE m.session_id = s.id AND m.reply IS NOT NULL),"
                " (SELECT COALESCE(SUM(usd), 0) FROM responses r WHERE r.session_id = s.id)"
                f" FROM sessions s WHERE {where}"
                " ORDER BY s.updated DESC, s.id DESC LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [SessionSummary(id, updated, title, replies, usd) for id, updated, title, replies, usd in rows]

    # -- drafts, for search and `studio export --manuscript` ------------------------------------

    def keep_draft(self, path: str, name: str, text: str, session: int | None, at: float) -> None:
        """The text a draft was saved with (one row per file, the last save wins), indexed for
        search by triggers; `session`: the conversation open when it was saved, if any."""
        with self._connect() as db:
            db.execute(
                "INSERT INTO draft_texts (path, name, text, saved, session_id) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (path) DO UPDATE SET name = excluded.name, text = excluded.text,"
                " saved = excluded.saved, session_id = COALESCE(excluded.session_id, session_id)",
                (path, name, text, at, session),
            )

    def kept_draft(self, name: str, session: int | None, path: str | None) -> str | None:
        """The kept text of draft `name`: the one `session` saved first, then the one at `path`
        (the drafts folder in use), then the newest of that name."""
        with self._connect() as db:
            row = db.execute(
                "SELECT text FROM draft_texts WHERE name = ?"
                " ORDER BY session_id IS ? DESC, path IS ? DESC, saved DESC LIMIT 1",
                (name, session, path),
            ).fetchone()
        return None if row is None else str(row[0])

    def load_session(self, session: int) -> SavedSession | None:
        with self._connect() as db:
            found = db.execute(
                "SELECT draft, unsent, named FROM sessions WHERE id = ?", (session,)
            ).fetchone()
            if found is None:
                return None
            # Parsed row by row: never all the JSON text and all its objects at once (10 MB each
            # at 1,000 replies), which the allocator would not give back.
            kept = [
                SavedMessage({"role": role, "content": json.loads(content)}, model, reply)
                for role, content, model, reply in db.execute(
                    "SELECT role, content, model, reply FROM messages WHERE session_id = ? ORDER BY position",
                    (session,),
                )
            ]
            responses = db.execute(
                "SELECT reply, model, input_tokens, output_tokens, cache_read_tokens, "
                "cache_write_5m_tokens, cache_write_1h_tokens, at, estimated, purpose FROM responses "
                "WHERE session_id = ? AND (reply IS NOT NULL OR purpose = 'title') ORDER BY id",
                (session,),
            ).fetchall()
            partials = db.execute(
                "SELECT position, model, reply, text, status FROM partials WHERE session_id = ? ORDER BY at",
                (session,),
            ).fetchall()
            calls = db.execute(
                "SELECT tool_use_id, kind, draft FROM tool_calls WHERE session_id = ?", (session,)
            ).fetchall()
        # A call rolled back after it was stored (a refused exchange) may have left its row.
        present = {
            block.get("id")
            for m in kept
            if isinstance(m.message["content"], list)
            for block in m.message["content"]
            if isinstance(block, dict) and block.get("type") == "tool_use"
        }
        priced = [
            SavedResponse(
                reply or 0,
                model,
                TokenUsage(input=i, output=o, cache_read=r, cache_write_5m=w5, cache_write_1h=w1h),
                at,
                bool(estimated),
                "title" if purpose == "title" else "reply",
            )
            for reply, model, i, o, r, w5, w1h, at, estimated, purpose in responses
        ]
        return SavedSession(
            session,
            kept,
            [r for r in priced if r.purpose == "reply"],
            found[0],
            found[1],
            [SavedPartial(*row) for row in partials],
            {
                call: TouchedDraft(kind, draft)
                for call, kind, draft in calls
                if call in present and kind in ("saved", "edited")
            },
            found[2],
            [r for r in priced if r.purpose == "title"],
        )

    def spent_on(self, day: date) -> float:
        """Dollars of known-price responses on `day` (local time)."""
        with self._connect() as db:
            row = db.execute(
                "SELECT COALESCE(SUM(usd), 0) FROM responses WHERE day = ?", (day.isoformat(),)
            ).fetchone()
        return float(row[0])
