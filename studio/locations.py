"""Every path the studio uses, in one place (XDG on Linux via platformdirs)."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_config_path, user_data_path, user_state_path

APP = "studio"


def config_dir() -> Path:
    return user_config_path(APP)


def config_file() -> Path:
    return config_dir() / "config.toml"


def config_env_file() -> Path:
    """Where a key pasted into the onboarding screen is saved."""
    return config_dir() / ".env"


def data_dir() -> Path:
    return user_data_path(APP)


def state_dir() -> Path:
    return user_state_path(APP)


def styles_dir() -> Path:
    """The .tcss files: inside the package when installed from a wheel, else the repo's styles/."""
    packaged = Path(__file__).parent / "styles"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "styles"
