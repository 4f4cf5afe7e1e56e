"""Prices and costs: the worked example from the price table, to the cent, and honest formatting."""

from __future__ import annotations

import pytest

from studio.core.catalog import Catalog, CatalogError
from studio.core.ledger import CostLedger
from studio.core.usage import TokenUsage, cost_usd, format_usd, price_reply, saved_by_cache_usd


def sonnet_price():  # type: ignore[no-untyped-def]
    price = Catalog.builtin().info("claude-sonnet-4-6").price
    assert price is not None
    return price


def test_worked_example_to_the_cent() -> None:
    """pricing.md: input 100k, output 10k, cache read 50k, 5m write 20k on Sonnet 4.6 = $0.540."""
    usage = TokenUsage(input=100_000, output=10_000, cache_read=50_000, cache_write_5m=20_000)
    assert cost_usd(usage, sonnet_price()) == pytest.approx(0.540)
    assert cost_usd(usage, sonnet_price(), batch=True) == pytest.approx(0.270)
    assert format_usd(cost_usd(usage, sonnet_price())) == "$0.540"


def test_each_component_of_the_worked_example() -> None:
    price = sonnet_price()
    assert cost_usd(TokenUsage(input=100_000), price) == pytest.approx(0.300)
    assert cost_usd(TokenUsage(output=10_000), price) == pytest.approx(0.150)
    assert cost_usd(TokenUsage(cache_read=50_000), price) == pytest.approx(0.015)
    assert cost_usd(TokenUsage(cache_write_5m=20_000), price) == pytest.approx(0.075)
    assert cost_usd(TokenUsage(cache_write_1h=20_000), price) == pytest.approx(0.120)


@pytest.mark.parametrize(
    ("model", "input_price", "output_price"),
    [
        ("claude-opus-4-7", 5.0, 25.0),
        ("claude-sonnet-4-6", 3.0, 15.0),
        ("claude-haiku-4-5-20251001", 1.0, 5.0),
        ("claude-haiku-4-5", 1.0, 5.0),
    ],
)
def test_catalogue_prices(model: str, input_price: float, output_price: float) -> None:
    price = Catalog.builtin().info(model).price
    assert price is not None
    assert (price.input, price.output) == (input_price, output_price)
    assert price.cache_read == pytest.approx(input_price * 0.1)
    assert price.cache_write_5m == pytest.approx(input_price * 1.25)
    assert price.cache_write_1h == pytest.approx(input_price * 2)


def test_unknown_model_is_never_free() -> None:
    info = Catalog.builtin().info("claude-fable-5-1")
    assert info.price is None and info.price_label == "price unknown"
    cost = price_reply("claude-fable-5-1", TokenUsage(input=10, output=10), None)
    assert cost.usd is None and format_usd(cost.usd) == "unknown"


def test_api_listing_adds_unpriced_models_after_the_known_ones() -> None:
    merged = Catalog.builtin().merged_with_api(
        [
            {"id": "claude-sonnet-4-6", "display_name": "Claude Sonnet 4.6", "max_input_tokens": 900_000},
            {"id": "claude-fable-5-1", "display_name": "Claude Fable 5.1", "max_tokens": 128_000},
        ]
    )
    assert merged.models[-1].id == "claude-fable-5-1" and merged.models[-1].price is None
    assert merged.models[-1].name == "Claude Fable 5.1" and merged.models[-1].max_output == 128_000
    assert merged.info("claude-sonnet-4-6").listed_by_api
    assert merged.info("claude-sonnet-4-6").context_window == 900_000  # the API's figure wins
    assert merged.models[:3] == [m for m in merged.models[:3] if m.price is not None]


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (0.0087, "$0.0087"),
        (0.00012, "$0.00012"),
        (0.0000012, "$0.0000012"),
        (0.054, "$0.054"),
        (0.54, "$0.540"),
        (12.345, "$12.35"),
        (1234.5, "$1,234.50"),
        (0, "$0.00"),
        (-0.0021, "-$0.0021"),
    ],
)
def test_small_costs_never_round_to_zero(amount: float, shown: str) -> None:
    assert format_usd(amount) == shown


def test_cache_savings() -> None:
    price = sonnet_price()
    # 50k read at $0.30 instead of $3.00 saves $0.135; 20k written at $3.75 costs $0.015 more.
    usage = TokenUsage(cache_read=50_000, cache_write_5m=20_000)
    assert saved_by_cache_usd(usage, price) == pytest.approx(0.135 - 0.015)


def test_ledger_totals_are_marked_partial_when_a_price_is_unknown() -> None:
    ledger = CostLedger()
    ledger.start_reply("claude-sonnet-4-6").add(
        price_reply("claude-sonnet-4-6", TokenUsage(input=1000), sonnet_price())
    )
    ledger.start_reply("claude-fable-5-1").add(price_reply("claude-fable-5-1", TokenUsage(input=1000), None))
    assert ledger.usd == pytest.approx(0.003)
    assert ledger.partial
    assert ledger.usage.input == 2000


def test_usage_split_between_5m_and_1h_writes() -> None:
    usage = TokenUsage.from_api(
        {
            "input_tokens": 5,
            "cache_creation_input_tokens": 30,
            "cache_creation": {"ephemeral_5m_input_tokens": 10, "ephemeral_1h_input_tokens": 20},
        }
    )
    assert (usage.cache_write_5m, usage.cache_write_1h) == (10, 20)


def test_config_overrides_prices_and_adds_models() -> None:
    catalog = Catalog.builtin().overridden(
        {
            "claude-sonnet-4-6": {"input": 2.5},
            "claude-fable-5-1": {
                "name": "Fable",
                "input": 10,
                "output": 50,
                "cache_write_5m": 12.5,
                "cache_write_1h": 20,
                "cache_read": 1,
            },
        }
    )
    sonnet = catalog.info("claude-sonnet-4-6").price
    assert sonnet is not None and sonnet.input == 2.5 and sonnet.output == 15.0
    fable = catalog.info("claude-fable-5-1")
    assert fable.name == "Fable" and fable.price is not None and fable.price.output == 50


def test_a_bad_override_is_named() -> None:
    with pytest.raises(CatalogError, match=r"models\.claude-x: unknown field"):
        Catalog.builtin().overridden({"claude-x": {"colour": 1}})


def test_every_builtin_model_has_limits_and_a_price() -> None:
    for model in Catalog.builtin().models:
        assert model.price is not None and model.context_window and model.max_output, model.id
