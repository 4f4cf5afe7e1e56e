"""Canned content of the offline demo: the default reply and the model catalogue."""

from __future__ import annotations

from typing import Any

from .sse import last_user_text

QUOTE_LENGTH = 60

# Served by GET /v1/models; the last one is in no price list, to exercise unknown models.
MODELS: list[dict[str, Any]] = [
    {"id": "claude-opus-4-7", "display_name": "Claude Opus 4.7", "line": "opus",
     "created_at": "2025-11-24T00:00:00Z", "max_input_tokens": 1_000_000, "max_tokens": 128_000},
    {"id": "claude-sonnet-4-6", "display_name": "Claude Sonnet 4.6", "line": "sonnet",
     "created_at": "2025-09-29T00:00:00Z", "max_input_tokens": 1_000_000, "max_tokens": 64_000},
    {"id": "claude-haiku-4-5-20251001", "display_name": "Claude Haiku 4.5", "line": "haiku",
     "created_at": "2025-10-01T00:00:00Z", "max_input_tokens": 200_000, "max_tokens": 64_000},
    {"id": "claude-fable-5-1", "display_name": "Claude Fable 5.1", "line": "fable",
     "created_at": "2025-12-01T00:00:00Z", "max_input_tokens": 200_000, "max_tokens": 32_000},
]


def model_entry(model: dict[str, Any]) -> dict[str, Any]:
    """One ModelInfo object as the API writes it."""
    return {"type": "model", **model, "lifecycle": "active", "deprecated_at": None,
            "retires_at": None, "capabilities": None}


def find_model(model_id: str) -> dict[str, Any] | None:
    """The catalogue entry with this id, if any."""
    return next((model_entry(m) for m in MODELS if m["id"] == model_id), None)


def models_page(limit: int, after_id: str | None, before_id: str | None) -> dict[str, Any]:
    """One page of the catalogue, cursor-paginated like the API (newest first order kept)."""
    ids = [m["id"] for m in MODELS]
    start, end = 0, len(ids)
    if after_id in ids:
        start = ids.index(after_id) + 1
    if before_id in ids:
        end = ids.index(before_id)
        start = max(start, end - limit)
    chosen = [model_entry(m) for m in MODELS[start:end][:limit]]
    last = start + len(chosen)
    has_more = start > 0 if before_id in ids else last < len(ids)
    return {
        "data": chosen,
        "has_more": has_more,
        "first_id": chosen[0]["id"] if chosen else None,
        "last_id": chosen[-1]["id"] if chosen else None,
    }


def demo_text(body: Any) -> str:
    """A few Markdown paragraphs that quote the last user message."""
    said = " ".join(last_user_text(body).split())
    quote = said[:QUOTE_LENGTH] + ("…" if len(said) > QUOTE_LENGTH else "")
    opening = f"You wrote: *“{quote}”*" if quote else "Your message arrived empty."
    return (
        "## Hello from the demo\n\n"
        f"{opening}\n\n"
        "This reply comes from the studio's **offline demo server**, a small stand-in for the "
        "Claude API that runs on this machine. Nothing left your computer and no API key "
        "was needed.\n\n"
        "While in demo mode you can:\n\n"
        "- write and edit as usual,\n"
        "- watch replies stream in a few words at a time,\n"
        "- see how token usage is reported.\n\n"
        "Set `ANTHROPIC_API_KEY` and start the studio without `--demo` to talk to Claude."
    )
