"""Settings and keys: where they come from, what wins, and that a key is never shown or logged."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from studio.cli import main
from studio.config import ConfigError, load_settings
from studio.credentials import mask_key, save_key

KEY = "sk-ant-api03-FAKEkey-789"  # fake


def config_dir() -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "studio"
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_environment_beats_dotenv_files(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ANTHROPIC_API_KEY=from-dotenv\n")
    settings = load_settings(environ={"ANTHROPIC_API_KEY": KEY}, cwd=tmp_path)
    assert settings.api_key == KEY and settings.api_key_source == "environment"


def test_local_dotenv_beats_config_dotenv(tmp_path: Path) -> None:
    (config_dir() / ".env").write_text("ANTHROPIC_API_KEY=from-config\n")
    (tmp_path / ".env").write_text("ANTHROPIC_API_KEY=from-here\nANTHROPIC_BASE_URL=http://127.0.0.1:1\n")
    settings = load_settings(environ={}, cwd=tmp_path)
    assert settings.api_key == "from-here" and settings.base_url == "http://127.0.0.1:1"
    (tmp_path / ".env").unlink()
    assert load_settings(environ={}, cwd=tmp_path).api_key == "from-config"


def test_config_file_and_cli_overrides(tmp_path: Path) -> None:
    (config_dir() / "config.toml").write_text(
        'model = "claude-opus-4-7"\nmax_tokens = 2000\ndrafts_dir = "writing"\n'
    )
    settings = load_settings(environ={}, cwd=tmp_path)
    assert (settings.model, settings.max_tokens) == ("claude-opus-4-7", 2000)
    assert settings.drafts_dir == tmp_path / "writing"
    settings = load_settings({"model": "claude-haiku-4-5"}, environ={}, cwd=tmp_path)
    assert settings.model == "claude-haiku-4-5"


def test_titles_are_on_unless_the_config_file_turns_them_off(tmp_path: Path) -> None:
    assert load_settings(environ={}, cwd=tmp_path).titles is True
    (config_dir() / "config.toml").write_text("titles = false\n")
    assert load_settings(environ={}, cwd=tmp_path).titles is False


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("model = ", "not valid TOML"),
        ("colour = 'red'", r"unknown setting\(s\) colour"),
        ("max_tokens = 'lots'", "max_tokens must be a whole number"),
    ],
)
def test_a_broken_config_file_says_what_is_wrong(tmp_path: Path, content: str, message: str) -> None:
    (config_dir() / "config.toml").write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(environ={}, cwd=tmp_path)


def test_cli_reports_a_broken_config_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    (config_dir() / "config.toml").write_text("model = ")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("studio: ") and "Traceback" not in err


def test_cli_rejects_a_malformed_model_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--model", "claude sonnet; rm -rf"]) == 2
    assert "is not a model id" in capsys.readouterr().err


def test_the_key_stays_out_of_repr(tmp_path: Path) -> None:
    settings = load_settings(environ={"ANTHROPIC_API_KEY": KEY}, cwd=tmp_path)
    assert KEY not in repr(settings)


def test_mask_shows_only_the_end() -> None:
    masked = mask_key(KEY)
    assert masked == "sk-ant-api03-…-789"
    assert "FAKEkey" not in masked


def test_saved_key_file_is_private_and_keeps_other_lines(tmp_path: Path) -> None:
    path = tmp_path / "conf" / ".env"
    path.parent.mkdir()
    path.write_text("ANTHROPIC_BASE_URL=http://127.0.0.1:1\nANTHROPIC_API_KEY=old\n")
    save_key(KEY, path)
    assert path.read_text() == f"ANTHROPIC_BASE_URL=http://127.0.0.1:1\nANTHROPIC_API_KEY={KEY}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_engine_config_keeps_the_key_out_of_repr() -> None:
    from studio.core.engine import EngineConfig

    assert KEY not in repr(EngineConfig(api_key=KEY))


def test_the_readme_sample_config_is_valid(tmp_path: Path) -> None:
    """Writers copy the README's sample: it must load, with every keymap id a real action."""
    from studio.config import read_config_file
    from studio.ui.bindings import STUDIO_BINDINGS
    from studio.ui.keymap import keymap_problems

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    sample = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "config.toml").write_text(sample, encoding="utf-8")
    data = read_config_file(tmp_path / "config.toml")
    assert data["base_url"].startswith("https://") and data["daily_budget"] == 10.0
    assert keymap_problems(data["keymap"], STUDIO_BINDINGS) == []
