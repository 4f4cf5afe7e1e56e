"""Full-text search over what the studio keeps: every message's words and every saved draft.

The indexes are SQLite FTS5 tables kept in step by the store itself (triggers, migration 6), so
this module only reads. Best matches come first (bm25, the lower the better, on the same scale
for messages and drafts), each with a snippet whose matched words are marked as spans.

What the writer types is taken as words, not as FTS5's query language: each word is quoted, so
`don't`, `c++` or `e-mail` search as the words they are (as far as the index splits them: letters
and digits count, punctuation separates), and every word must be present, in any order. A word
ending in `*` matches as a prefix (`harb*`). Only a query that uses FTS5's own syntax on
purpose (a double quote, parentheses, or AND, OR, NOT, NEAR in capitals) goes to FTS5 as typed,
and a mistake in it is a `SearchSyntaxError` in words, never a traceback.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Literal

from studio.core.store import Store

HitKind = Literal["message", "draft"]
Span = tuple[int, int]

# Marks snippet() puts around a matched word: private-use characters, so they cannot be mistaken
# for the writer's own brackets or asterisks.
OPEN, CLOSE = "\ue000", "\ue001"
SNIPPET_WORDS = 16
_SYNTAX = re.compile(r'["()]|(?:^|\s)(?:AND|OR|NOT|NEAR)(?:\s|$|\()')


class SearchSyntaxError(ValueError):
    """A query in FTS5's syntax that FTS5 cannot read; the message says what to do instead."""


@dataclass(frozen=True)
class Hit:
    """One match: a message of a conversation (its position and role) or a draft (its name)."""

    kind: HitKind
    session: int | None  # the conversation: of the message, or that saved the draft (if any)
    title: str  # the conversation's title ("" for a draft no conversation saved)
    at: float  # when: the conversation's last change, or the draft's last save
    snippet: str  # one line
    marks: tuple[Span, ...]  # the matched words in `snippet`
    score: float  # bm25: lower is better
    position: int | None = None  # message hits
    role: str | None = None
    name: str | None = None  # draft hits
    path: str | None = None

    def marked(self, before: str = "[", after: str = "]") -> str:
        """The snippet with each match between `before` and `after` (plain text for a terminal)."""
        out, last = [], 0
        for start, end in self.marks:
            out += [self.snippet[last:start], before, self.snippet[start:end], after]
            last = end
        return "".join([*out, self.snippet[last:]])


def fts_query(words: str) -> str:
    """The FTS5 query for what the writer typed (see the module's docstring)."""
    if _SYNTAX.search(words):
        return words
    terms = []
    for word in words.split():
        prefix = word.endswith("*") and len(word) > 1
        word = word.rstrip("*") if prefix else word
        terms.append('"' + word.replace('"', '""') + '"' + ("*" if prefix else ""))
    return " ".join(terms)


def _marked(raw: str) -> tuple[str, tuple[Span, ...]]:
    """snippet()'s text with its marks taken out and turned into spans; on one line."""
    text, marks, start = "", [], None
    for part in re.split(f"([{OPEN}{CLOSE}])", " ".join(raw.split())):
        if part == OPEN:
            start = len(text)
        elif part == CLOSE and start is not None:
            marks.append((start, len(text)))
            start = None
        else:
            text += part
    return text, tuple(marks)


def search(store: Store, words: str, limit: int = 20) -> list[Hit]:
    """The best `limit` matches for `words` across messages and drafts, best first."""
    query = fts_query(words)
    if not query.strip():
        return []
    snippet = f"snippet({{table}}, {{column}}, '{OPEN}', '{CLOSE}', '…', {SNIPPET_WORDS})"
    try:
        with store.connect() as db:
            messages = db.execute(
                "SELECT t.session_id, COALESCE(NULLIF(s.named, ''), s.title), s.updated, "
                + snippet.format(table="message_text", column=0)
                + ", bm25(message_text), t.position, t.role"
                " FROM message_text t JOIN sessions s ON s.id = t.session_id"
                " WHERE message_text MATCH ? ORDER BY rank LIMIT ?",
                (query, limit),
            ).fetchall()
            drafts = db.execute(
                "SELECT d.session_id, COALESCE(NULLIF(s.named, ''), s.title, ''), d.saved, "
                + snippet.format(table="draft_search", column=1)
                + ", bm25(draft_search), d.name, d.path"
                " FROM draft_search f JOIN draft_texts d ON d.rowid = f.rowid"
                " LEFT JOIN sessions s ON s.id = d.session_id"
                " WHERE draft_search MATCH ? ORDER BY rank LIMIT ?",
                (query, limit),
            ).fetchall()
    except sqlite3.OperationalError as exc:
        if "fts5" in str(exc) or "syntax error" in str(exc) or "unterminated" in str(exc):
            raise SearchSyntaxError(
                f"the search {words!r} is not valid FTS5 syntax ({exc}); plain words need no "
                'quotes or operators, and a phrase goes in double quotes: "grey rain"'
            ) from None
        raise
    hits = [
        Hit("message", session, title, at, *_marked(raw), score, position=position, role=role)
        for session, title, at, raw, score, position, role in messages
    ]
    hits += [
        Hit("draft", session, title, at, *_marked(raw), score, name=name, path=path)
        for session, title, at, raw, score, name, path in drafts
    ]
    hits.sort(key=lambda hit: hit.score)
    return hits[:limit]
