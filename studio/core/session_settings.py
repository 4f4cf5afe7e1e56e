"""What a session reads of the studio's settings: the engine sits below the config (an import
contract), so it names what it needs instead of importing `studio.config.Settings`, which has it all."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from studio.core.usage import CacheTtl


class SessionSettings(Protocol):
    api_key: str | None
    api_key_source: str | None
    base_url: str | None
    model: str
    max_tokens: int
    system_prompt: str
    drafts_dir: Path
    max_tool_rounds: int
    max_draft_bytes: int
    cache_ttl: CacheTtl
    session_budget: float | None
    daily_budget: float | None
    models: dict[str, dict[str, Any]]
    demo: bool
    titles: bool  # a title from Haiku after the first reply (titles.py)
