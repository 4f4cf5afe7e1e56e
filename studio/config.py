"""Settings from (last wins) built-in defaults, the config file, .env files, the environment, the CLI."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlsplit

from studio import locations
from studio.core.catalog import PRICE_FIELDS
from studio.core.usage import CacheTtl

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
    cache_ttl: CacheTtl = "5m"
    session_budget: float | None = None
    daily_budget: float | None = None
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    demo: bool = False
    titles: bool = True  # a conversation's title from Haiku after its first reply (costs a little)
    resume: bool = False  # --continue: reopen the latest conversation
    model_chosen: bool = False  # --model given: a reopened conversation keeps it, not its own
    keymap: dict[str, str] = field(default_factory=dict)


MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$")

# Each setting's type and, for numbers, its sensible range: a mistake is one line naming it.
_FILE_KEYS: dict[str, type | tuple[type, ...]] = {
    "model": str,
    "max_tokens": int,
    "system_prompt": str,
    "drafts_dir": str,
    "max_tool_rounds": int,
    "base_url": str,
    "keymap": dict,
    "max_draft_bytes": int,
    "cache_ttl": str,
    "session_budget": (int, float),
    "daily_budget": (int, float),
    "models": dict,
    "titles": bool,
}
_TYPE_NAMES = {str: "text in quotes", int: "whole number", dict: "table"}
_RANGES: dict[str, tuple[float, float, str]] = {
    "max_tokens": (1, 128_000, ""),
    "max_tool_rounds": (1, 50, ""),
    "max_draft_bytes": (1_000, 20_000_000, " bytes"),
    "session_budget": (0.01, 100_000, " dollars"),
    "daily_budget": (0.01, 100_000, " dollars"),
}
_MODEL_FIELDS: dict[str, type | tuple[type, ...]] = {
    **dict.fromkeys(PRICE_FIELDS, (int, float)),
    "name": str,
    "good_for": str,
    "context_window": int,
    "max_output": int,
}
_CLI_NAMES = {"model": "--model", "max_tokens": "--max-tokens", "drafts_dir": "--drafts-dir"}


def _kind_problem(value: Any, kind: type | tuple[type, ...]) -> str | None:
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return None
    if kind is bool:
        return "must be true or false"
    return "must be a " + ("number" if isinstance(kind, tuple) else _TYPE_NAMES[kind])


def value_problem(key: str, value: Any) -> str | None:
    """What is wrong with one setting's value (type, range, shape), or None: the caller names it."""
    kind = _FILE_KEYS.get(key)
    if kind is not None and (problem := _kind_problem(value, kind)):
        return problem
    if key in _RANGES:
        low, high, unit = _RANGES[key]
        if not low <= value <= high:
            return f"must be between {low:,g} and {high:,g}{unit} (it is {value:,g})"
    if key == "model" and not MODEL_ID.match(value):
        return f"{value!r} is not a model id (e.g. {DEFAULT_MODEL})"
    if key == "base_url":
        url = urlsplit(value)
        if url.scheme not in ("http", "https") or not url.hostname:
            return f"{value!r} is not an http:// or https:// URL"
    if key == "system_prompt" and not value.strip():
        return "is empty: leave it out to use the built-in persona"
    if key == "drafts_dir" and not str(value).strip():
        return "is empty: leave it out to use ./drafts"
    if key == "cache_ttl" and value not in get_args(CacheTtl):
        return 'must be "5m" or "1h"'
    return None


def _models_problem(models: dict[str, Any]) -> str | None:
    """`[models."id"]` tables: the id, every field's name and type, no negative prices."""
    for model_id, fields_ in models.items():
        if not MODEL_ID.match(model_id):
            return f"models.{model_id!r} is not a model id"
        if not isinstance(fields_, dict):
            return f'models.{model_id} must be a table ([models."{model_id}"])'
        for name, value in fields_.items():
            if name not in _MODEL_FIELDS:
                return f"models.{model_id}.{name} is not a model field; known: {', '.join(_MODEL_FIELDS)}"
            if problem := _kind_problem(value, _MODEL_FIELDS[name]):
                return f"models.{model_id}.{name} {problem}"
            if isinstance(value, int | float) and value < 0:
                return f"models.{model_id}.{name} must not be negative"
            if name in ("context_window", "max_output") and value < 1:
                return f"models.{model_id}.{name} must be at least 1"
    return None


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    unknown = set(data) - set(_FILE_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(_FILE_KEYS)}"
        )
    for key, value in data.items():
        if problem := value_problem(key, value):
            raise ConfigError(f"{path}: {key} {problem}")
    if problem := _models_problem(data.get("models", {})):
        raise ConfigError(f"{path}: {problem}")
    for binding_id, keys in data.get("keymap", {}).items():
        if not isinstance(keys, str):
            raise ConfigError(f'{path}: keymap.{binding_id} must be a key name like "f9"')
    return data


def find_credentials(cwd: Path, environ: dict[str, str]) -> tuple[str | None, str | None, str | None]:
    """(api_key, where it came from, base_url): environment, then ./.env, then the config dir's .env."""
    sources: list[tuple[str, dict[str, str | None]]] = [("environment", dict(environ))]
    for path in (cwd / ".env", locations.config_env_file()):
        if path.is_file():
            from dotenv import dotenv_values  # only when there is a file to read: it costs start-up time

            sources.append((str(path), dotenv_values(path)))
    key = source = base_url = None
    for name, values in sources:
        if key is None and values.get("ANTHROPIC_API_KEY"):
            key, source = values["ANTHROPIC_API_KEY"], name
        if base_url is None and values.get("ANTHROPIC_BASE_URL"):
            base_url = values["ANTHROPIC_BASE_URL"]
    return key, source, base_url


def load_settings(
    overrides: dict[str, Any] | None = None, cwd: Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    cwd = cwd or Path.cwd()
    environ = dict(os.environ) if environ is None else environ
    settings = Settings()
    file_values = read_config_file(locations.config_file())
    key, source, base_url = find_credentials(cwd, environ)
    values: dict[str, Any] = {**file_values, "api_key": key, "api_key_source": source}
    if base_url:
        values["base_url"] = base_url
    if base_url and (problem := value_problem("base_url", base_url)):
        raise ConfigError(f"ANTHROPIC_BASE_URL {problem}")
    for name, value in (overrides or {}).items():
        if value is not None and (problem := value_problem(name, value)):
            raise ConfigError(f"{_CLI_NAMES.get(name, name)} {problem}")
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    names = {f.name for f in fields(Settings)}
    for name, value in values.items():
        if name in names:
            setattr(settings, name, value)
    settings.drafts_dir = (cwd / Path(settings.drafts_dir).expanduser()).resolve()
    return settings
