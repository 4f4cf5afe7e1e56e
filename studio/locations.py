"""Every path the studio uses, in one place (XDG on Linux via platformdirs).

The stylesheet is not here: it is package data beside the code it styles (``studio/ui/studio.tcss``).
"""

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


def line_history_file() -> Path:
    """What the writer typed in the line mode (`studio chat --plain`), for readline's history."""
    return state_dir() / "line_history"
