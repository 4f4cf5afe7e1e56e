"""The repository stands alone: a fresh clone runs its own tests with nothing beside it."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
# A path that leaves the repository: the shared folder beside it, or an absolute workplace path.
OUTSIDE = re.compile(r"""(\.\./shared|shared/fixtures|["']share[d]["']|["']/work/)""")


def test_no_code_reads_outside_the_repository() -> None:
    offenders = []
    for folder in ("studio", "tests", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if OUTSIDE.search(line) and path.name != "test_repository.py":
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_captured_streams_travel_with_their_note_and_licence() -> None:
    assert FIXTURES.is_relative_to(ROOT)
    names = sorted(p.name for p in FIXTURES.iterdir())
    assert "README.md" in names and "LICENSE" in names
    assert len([n for n in names if n.endswith(".txt")]) == 6
    assert "Copyright 2023 Anthropic, PBC" in (FIXTURES / "LICENSE").read_text(encoding="utf-8")
