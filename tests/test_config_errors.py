"""Every config mistake stops the installed `studio` with ONE line naming the setting: no traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from terminal import child_env, studio_command

BAD_FILES = [  # config.toml content, the words the one line must hold
    ('model = "claude sonnet; rm -rf"', "model 'claude sonnet; rm -rf' is not a model id"),
    ("max_tokens = 0", "max_tokens must be between 1 and 128,000"),
    ("max_tokens = 10000000", "max_tokens must be between 1 and 128,000"),
    ("max_tokens = 'lots'", "max_tokens must be a whole number"),
    ("max_tokens = true", "max_tokens must be a whole number"),
    ("max_tool_rounds = 0", "max_tool_rounds must be between 1 and 50"),
    ("max_tool_rounds = 500", "max_tool_rounds must be between 1 and 50"),
    ("max_draft_bytes = -1", "max_draft_bytes must be between 1,000 and 2e+07 bytes"),
    ("session_budget = 0", "session_budget must be between 0.01 and 100,000 dollars"),
    ("daily_budget = -5.0", "daily_budget must be between 0.01 and 100,000 dollars"),
    ("daily_budget = 'ten'", "daily_budget must be a number"),
    ('base_url = "ftp://example.com"', "base_url 'ftp://example.com' is not an http:// or https:// URL"),
    ('base_url = "localhost:8765"', "base_url 'localhost:8765' is not an http:// or https:// URL"),
    ('system_prompt = "   "', "system_prompt is empty"),
    ('drafts_dir = ""', "drafts_dir is empty"),
    ('cache_ttl = "2h"', 'cache_ttl must be "5m" or "1h"'),
    ("models = 3", "models must be a table"),
    ('models = { "claude-x" = 3 }', "models.claude-x must be a table"),
    ('[models."claude-x"]\ninput = "cheap"', "models.claude-x.input must be a number"),
    ('[models."claude-x"]\ncolour = "red"', "models.claude-x.colour is not a model field"),
    ('[models."claude-x"]\ncontext_window = 0', "models.claude-x.context_window must be at least 1"),
    ('[models."claude-x"]\noutput = -3.0', "models.claude-x.output must not be negative"),
    ('[models."a b"]\ninput = 1.0', "models.'a b' is not a model id"),
    ("titles = 'no'", "titles must be true or false"),
    ("titles = 0", "titles must be true or false"),
    ("keymap = 5", "keymap must be a table"),
    ("[keymap]\nhelp = 5", "keymap.help must be a key name"),
    ("model = ", "not valid TOML"),
    ("colour = 'red'", "unknown setting(s) colour"),
]

BAD_ARGUMENTS = [
    (["--max-tokens", "0"], "--max-tokens must be between 1 and 128,000 (it is 0)"),
    (["--max-tokens", "999999"], "--max-tokens must be between 1 and 128,000"),
    (["--model", "claude sonnet; rm -rf"], "--model 'claude sonnet; rm -rf' is not a model id"),
    (["--drafts-dir", ""], "--drafts-dir is empty"),
]


def run_studio(home: Path, args: list[str], base_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = child_env(home, key="sk-ant-test-FAKE-key0", base_url=base_url)
    return subprocess.run(
        [*studio_command(), *args],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )


def assert_one_line(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("studio: ") and words in lines[0], lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(("content", "words"), BAD_FILES)
def test_a_config_mistake_is_one_line_naming_the_setting(tmp_path: Path, content: str, words: str) -> None:
    config = tmp_path / "xdg_config_home" / "studio" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(content + "\n")
    result = run_studio(tmp_path, [])
    assert_one_line(result, words)
    assert str(config) in result.stderr  # which file to fix


@pytest.mark.parametrize(("args", "words"), BAD_ARGUMENTS)
def test_a_command_line_mistake_is_one_line_naming_the_option(
    tmp_path: Path, args: list[str], words: str
) -> None:
    assert_one_line(run_studio(tmp_path, args), words)


def test_a_malformed_base_url_in_the_environment_is_named(tmp_path: Path) -> None:
    assert_one_line(
        run_studio(tmp_path, [], base_url="127.0.0.1:8765"),
        "ANTHROPIC_BASE_URL '127.0.0.1:8765' is not an http:// or https:// URL",
    )
