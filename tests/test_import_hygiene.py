"""The import contracts hold; the engine imports no Textual; the UI paints before the SDK is imported."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold() -> None:
    """Every contract in pyproject.toml is checked and kept (layers, core without Textual, the demo
    server standing alone)."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run(
        [lint, str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(contracts)} kept, 0 broken" in result.stdout


def test_no_core_module_imports_textual() -> None:
    code = (
        "import sys, pkgutil, importlib, studio.core as c\n"
        "for m in pkgutil.iter_modules(c.__path__): importlib.import_module('studio.core.' + m.name)\n"
        "print(any(k == 'textual' or k.startswith('textual.') for k in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_starting_the_ui_does_not_import_the_sdk() -> None:
    """The SDK takes most of a second to import: the app module must not pull it in before paint."""
    code = (
        "import sys, studio.cli, studio.ui.app\n"
        "print([k for k in sys.modules if k == 'anthropic' or k.startswith('anthropic.')][:3])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_first_frame_does_not_import_the_dialogs() -> None:
    """Dialogs, F6's screen, search and titles are imported when first used, not before the first
    paint (each module costs start-up time)."""
    later = [
        "studio.ui.dialogs",
        "studio.ui.help",
        "studio.ui.model_picker",
        "studio.ui.onboarding",
        "studio.ui.batches_screen",
        "studio.ui.reopen",
        "studio.core.search",
        "studio.core.titles",
        "studio.core.batch_store",
    ]
    code = f"import sys, studio.cli, studio.ui.app\nprint([m for m in {later!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
