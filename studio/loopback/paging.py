"""Cursor pagination as the API's list endpoints do it (``/v1/models``, ``/v1/messages/batches``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs


def cursor_page(
    entries: list[dict[str, Any]], limit: int, after_id: str | None, before_id: str | None
) -> dict[str, Any]:
    """One page of ``entries`` (already in list order), as ``{data, has_more, first_id, last_id}``.

    ``after_id`` pages forward from just after that entry; ``before_id`` takes the ``limit`` entries
    just before it (the SDK then pages on with ``first_id``). An unknown cursor is ignored.
    """
    ids = [entry["id"] for entry in entries]
    start, end = 0, len(ids)
    if after_id in ids:
        start = ids.index(after_id) + 1
    if before_id in ids:
        end = ids.index(before_id)
        start = max(start, end - limit)
    chosen = entries[start:end][:limit]
    last = start + len(chosen)
    has_more = start > 0 if before_id in ids else last < len(ids)
    return {
        "data": chosen,
        "has_more": has_more,
        "first_id": chosen[0]["id"] if chosen else None,
        "last_id": chosen[-1]["id"] if chosen else None,
    }


def page_query(query: str) -> tuple[dict[str, str], int | None]:
    """A list request's query (the last value of each name) and its `limit` (default 20), or None
    for a limit the API refuses (not a number, or outside 1..1000)."""
    params = {key: values[-1] for key, values in parse_qs(query).items()}
    try:
        limit = int(params.get("limit", "20"))
    except ValueError:
        return params, None
    return params, limit if 1 <= limit <= 1000 else None


LIMIT_PROBLEM = "limit: must be between 1 and 1000"
