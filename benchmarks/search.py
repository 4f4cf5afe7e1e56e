"""Full-text search over a big store: is `studio search` (and F5's search box) quick enough?

Builds a store of 10,000 kept messages (200 conversations of 50 messages, the writer's 10-120
words, Claude's 80-600, Zipf-distributed words from a 5,000-word vocabulary, with a draft document
every tenth message, which the index must skip) and 300 saved drafts of 300-3,000 words, through
the store's own writes (so the triggers build the index). Then times each query (the median of
many runs, a fresh connection each time, as the command makes) beside a floor measured in the
same run: a plain `LIKE '%word%'` scan finding every match in the same messages' stored JSON (the
search one would write without an index, before any ranking).

    python benchmarks/search.py [--runs 50] [--conversations 200]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from studio.core.search import search
from studio.core.store import Store

VOCABULARY = 5000
TARGET_MS = 100.0
SEEDED = {"harbour": 0.05, "lighthouse": 0.02, "quartermaster": 0.001}


def build(path: Path, conversations: int, rng: random.Random) -> tuple[Store, float]:
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "be", "do", "fa", "gu", "ha", "je"]
    vocab = sorted({"".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(VOCABULARY * 3)})
    vocab = vocab[:VOCABULARY]
    weights = [1 / (rank + 1) for rank in range(len(vocab))]  # Zipf: a few words are everywhere

    def words(count: int) -> str:
        text = rng.choices(vocab, weights, k=count)
        for word, share in SEEDED.items():  # words the queries look for, in a known share of texts
            if rng.random() < share:
                text[rng.randrange(count)] = word
        return " ".join(text)

    store = Store(path)
    started = time.perf_counter()
    for _ in range(conversations):
        messages = []
        for n in range(25):
            blocks = [{"type": "text", "text": words(rng.randint(10, 120))}]
            if n % 10 == 0:
                source = {"type": "text", "media_type": "text/plain", "data": words(400)}
                context = "studio draft, version 1, full text: the draft"
                blocks.append({"type": "document", "title": "draft.md", "context": context, "source": source})
            messages.append({"role": "user", "content": blocks})
            reply = [{"type": "text", "text": words(rng.randint(80, 600))}]
            messages.append({"role": "assistant", "content": reply})
        store.save_messages(store.new_session(), messages, 0, "claude-sonnet-4-6", 1)
    for d in range(300):
        text = words(rng.randint(300, 3000))
        store.keep_draft(f"/drafts/d{d}.md", f"d{d}.md", text, (d % conversations) + 1, time.time())
    return store, time.perf_counter() - started


def median_ms(run: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--conversations", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder:
        store, took = build(Path(folder) / "studio.db", args.conversations, rng)
        with sqlite3.connect(store.path) as db:
            count = db.execute("SELECT count(*) FROM messages").fetchone()[0]
            chars = db.execute("SELECT sum(length(content)) FROM messages").fetchone()[0]
            indexed = db.execute("SELECT count(*) FROM message_text").fetchone()[0]
        size = store.path.stat().st_size
        print(f"{count:,} messages ({chars / 1e6:.1f} MB of JSON, {indexed:,} indexed) and 300 drafts,")
        print(f"kept through the store in {took:.1f} s; the file is {size / 1e6:.1f} MB\n")
        print(f"{'query':<28} {'hits':>5} {'search (ms)':>12} {'LIKE scan (ms)':>15}")
        queries = [
            ("rare word", "quartermaster", "quartermaster"),
            ("common word", "ka", " ka "),
            ("two words", "lighthouse harbour", "lighthouse"),  # the floor: one word only
            ("prefix", "lightho*", "lightho"),
            ("OR (FTS5 syntax)", "lighthouse OR quartermaster", "lighthouse"),
        ]
        worst = 0.0
        for label, query, like in queries:
            hits = len(search(store, query, 20))
            ms = median_ms(lambda q=query: search(store, q, 20), args.runs)

            def scan(pattern: str = like) -> None:
                with sqlite3.connect(store.path) as db:
                    db.execute(  # every match must be found before the best 20 can be chosen
                        "SELECT session_id, position FROM messages WHERE content LIKE ?", (f"%{pattern}%",)
                    ).fetchall()

            floor = median_ms(scan, max(5, args.runs // 5))
            worst = max(worst, ms)
            print(f"{label:<28} {hits:>5} {ms:>12.2f} {floor:>15.2f}")
        verdict = "under" if worst < TARGET_MS else "OVER"
        runs = f"median of {args.runs} runs"
        print(f"\nslowest {worst:.2f} ms: {verdict} the {TARGET_MS:.0f} ms target ({runs})")


if __name__ == "__main__":
    main()
