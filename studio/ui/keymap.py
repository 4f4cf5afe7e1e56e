"""Checks on the config file's [keymap]: a typo in a binding id, or a key the text boxes already use,
would otherwise be ignored without a word."""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding, BindingsMap
from textual.widgets import TextArea


def _text_box_keys() -> set[str]:
    """Keys the message box and the draft editor (both TextAreas) answer to while focused."""
    keys: set[str] = set()
    for cls in TextArea.__mro__:
        if "BINDINGS" in cls.__dict__:
            keys |= set(BindingsMap(cls.__dict__["BINDINGS"]).key_to_bindings)
    return keys


def keymap_problems(keymap: dict[str, str], bindings: Iterable[object]) -> list[str]:
    """One sentence per entry that will not do what the writer expects."""
    if not keymap:  # the usual case: nothing to check, nothing to build on the start-up path
        return []
    known = {b.id for b in bindings if isinstance(b, Binding) and b.id}
    taken = _text_box_keys()
    problems = []
    for binding_id, keys in keymap.items():
        if binding_id not in known:
            problems.append(
                f"keymap: there is no action called {binding_id!r} (the ids are {', '.join(sorted(known))})."
            )
            continue
        for key in (k.strip() for k in keys.split(",")):
            if key in taken:
                problems.append(
                    f"keymap: {key} for {binding_id} is also a key of the message box "
                    "and the draft, which keep it while they have focus; choose a free "
                    "key such as ctrl+t."
                )
    return problems
