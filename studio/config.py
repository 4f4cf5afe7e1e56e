"""Settings from (last wins) built-in defaults, the config file, .env files, the environment, the CLI."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from studio import locations

DEFAULT_MODEL = "claude-sonnet-4-6"

DEFAULT_SYSTEM_PROMPT = """\
You are a writing assistant inside studio, a terminal writing studio. The writer works on a draft \
in an editor beside this conversation. Help them think, draft, restructure and polish: be concrete, \
keep their voice, and prefer showing a revised passage to describing one. Use Markdown.

Tools: save_draft writes a whole draft to a file in the drafts folder and opens it in the editor (when \
the writer says "save that", save the text of your last reply). edit_draft replaces one exact passage \
of the open draft: use it for targeted changes such as "tighten the second paragraph". format_as_list \
makes a numbered list; get_word_count counts words."""


class ConfigError(Exception):
    """The config file or a setting is wrong; the message says which and how to fix it."""


@dataclass
class Settings:
    """Everything the studio needs to start. The API key is kept out of repr so it never gets logged."""

    api_key: str | None = field(default=None, repr=False)
    api_key_source: str | None = None
    base_url: str | None = None
    model: str = DEFAULT_MODEL
    max_tokens: int = 4096
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    drafts_dir: Path = Path("drafts")
    max_tool_rounds: int = 8
    max_draft_bytes: int = 1_000_000
    cache_ttl: str = "5m"
    session_budget: float | None = None
    daily_budget: float | None = None
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    demo: bool = False
    resume: bool = False  # --continue: reopen the latest conversation
    keymap: dict[str, str] = field(default_factory=dict)


_FILE_KEYS = {"model": str, "max_tokens": int, "system_prompt": str, "drafts_dir": str,
              "max_tool_rounds": int, "base_url": str, "keymap": dict,
              "max_draft_bytes": int, "cache_ttl": str, "session_budget": (int, float),
              "daily_budget": (int, float), "models": dict}


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    unknown = set(data) - set(_FILE_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}; "
                          f"known: {', '.join(_FILE_KEYS)}")
    for key, kind in _FILE_KEYS.items():
        if key in data and (not isinstance(data[key], kind) or isinstance(data[key], bool)):
            name = "number" if isinstance(kind, tuple) else kind.__name__
            raise ConfigError(f"{path}: {key} must be a {name}")
    if data.get("cache_ttl", "5m") not in ("5m", "1h"):
        raise ConfigError(f"{path}: cache_ttl must be \"5m\" or \"1h\"")
    for key in ("session_budget", "daily_budget"):
        if key in data and data[key] <= 0:
            raise ConfigError(f"{path}: {key} must be more than 0 (dollars)")
    for binding_id, keys in data.get("keymap", {}).items():
        if not isinstance(keys, str):
            raise ConfigError(f"{path}: keymap.{binding_id} must be a key name like \"f9\"")
    return data


def find_credentials(cwd: Path, environ: dict[str, str]) -> tuple[str | None, str | None, str | None]:
    """(api_key, where it came from, base_url): environment, then ./.env, then the config dir's .env."""
    sources: list[tuple[str, dict[str, str | None]]] = [("environment", dict(environ))]
    for path in (cwd / ".env", locations.config_env_file()):
        if path.is_file():
            sources.append((str(path), dotenv_values(path)))
    key = source = base_url = None
    for name, values in sources:
        if key is None and values.get("ANTHROPIC_API_KEY"):
            key, source = values["ANTHROPIC_API_KEY"], name
        if base_url is None and values.get("ANTHROPIC_BASE_URL"):
            base_url = values["ANTHROPIC_BASE_URL"]
    return key, source, base_url


def load_settings(overrides: dict[str, Any] | None = None, cwd: Path | None = None,
                  environ: dict[str, str] | None = None) -> Settings:
    cwd = cwd or Path.cwd()
    environ = dict(os.environ) if environ is None else environ
    settings = Settings()
    file_values = read_config_file(locations.config_file())
    key, source, base_url = find_credentials(cwd, environ)
    values: dict[str, Any] = {**file_values, "api_key": key, "api_key_source": source}
    if base_url:
        values["base_url"] = base_url
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    names = {f.name for f in fields(Settings)}
    for name, value in values.items():
        if name in names:
            setattr(settings, name, value)
    settings.drafts_dir = (cwd / Path(settings.drafts_dir).expanduser()).resolve()
    if settings.max_tokens < 1:
        raise ConfigError("max_tokens must be at least 1")
    return settings
