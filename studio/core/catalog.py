"""The model catalogue: built-in prices and limits (models.toml), merged with the API's models list,
overridable in the config file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

PRICE_FIELDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str
    good_for: str = ""
    price: Price | None = None
    aliases: tuple[str, ...] = ()
    context_window: int | None = None
    max_output: int | None = None
    listed_by_api: bool = False

    @property
    def price_label(self) -> str:
        """Short input/output price, or a plain admission that we do not know it."""
        if self.price is None:
            return "price unknown"
        return f"${self.price.input:g} in / ${self.price.output:g} out per MTok"


class CatalogError(ValueError):
    """A model override in the config file is malformed; the message names it."""


def _model(data: dict[str, Any]) -> ModelInfo:
    price = Price(*(float(data[f]) for f in PRICE_FIELDS)) if all(f in data for f in PRICE_FIELDS) else None
    return ModelInfo(
        id=data["id"],
        name=data.get("name", data["id"]),
        good_for=data.get("good_for", ""),
        price=price,
        aliases=tuple(data.get("aliases", ())),
        context_window=data.get("context_window"),
        max_output=data.get("max_output"),
    )


class Catalog:
    """Every model the studio can offer, in display order; lookups accept aliases."""

    def __init__(
        self,
        models: list[ModelInfo],
        default: str,
        source: str = "",
        date: str = "",
        batch_discount: float = 0.5,
    ):
        self.models = models
        self.default = default
        self.source = source
        self.date = date
        self.batch_discount = batch_discount

    @classmethod
    def builtin(cls) -> Catalog:
        # Beside this module (package data); not importlib.resources, which costs start-up time.
        data = tomllib.loads(Path(__file__).with_name("models.toml").read_text(encoding="utf-8"))
        return cls(
            [_model(m) for m in data["model"]],
            data["default"],
            data.get("source", ""),
            data.get("date", ""),
            data.get("batch_discount", 0.5),
        )

    def get(self, model_id: str) -> ModelInfo | None:
        for model in self.models:
            if model_id == model.id or model_id in model.aliases:
                return model
        return None

    def info(self, model_id: str) -> ModelInfo:
        """The catalogue entry, or an unpriced one: an unknown model is never free."""
        return self.get(model_id) or ModelInfo(id=model_id, name=model_id)

    def _with(self, models: list[ModelInfo]) -> Catalog:
        return Catalog(models, self.default, self.source, self.date, self.batch_discount)

    def merged_with_api(self, listed: list[dict[str, Any]]) -> Catalog:
        """Mark the models the API lists and take its limits; add unpriced ones as 'price unknown'."""
        by_id = {m["id"]: m for m in listed}
        models = []
        for model in self.models:
            api = next((by_id[i] for i in (model.id, *model.aliases) if i in by_id), None)
            if api is None:
                models.append(model)
                continue
            models.append(
                replace(
                    model,
                    listed_by_api=True,
                    context_window=api.get("max_input_tokens") or model.context_window,
                    max_output=api.get("max_tokens") or model.max_output,
                )
            )
        for model_id, api in by_id.items():
            if self.get(model_id) is None:
                models.append(
                    ModelInfo(
                        id=model_id,
                        name=api.get("display_name") or model_id,
                        good_for="listed by the API",
                        listed_by_api=True,
                        context_window=api.get("max_input_tokens"),
                        max_output=api.get("max_tokens"),
                    )
                )
        return self._with(models)

    def overridden(self, overrides: dict[str, dict[str, Any]]) -> Catalog:
        """Apply `[models."id"]` tables from the config file: new prices, limits, or new models."""
        models = list(self.models)
        for model_id, fields in overrides.items():
            if not isinstance(fields, dict):
                raise CatalogError(f"models.{model_id} must be a table")
            unknown = set(fields) - {*PRICE_FIELDS, "name", "good_for", "context_window", "max_output"}
            if unknown:
                raise CatalogError(f"models.{model_id}: unknown field(s) {', '.join(sorted(unknown))}")
            current = self.get(model_id)
            base: dict[str, Any] = {"id": model_id}
            if current is not None:
                base.update(
                    name=current.name,
                    good_for=current.good_for,
                    aliases=current.aliases,
                    context_window=current.context_window,
                    max_output=current.max_output,
                )
                if current.price is not None:
                    base.update(
                        zip(PRICE_FIELDS, (getattr(current.price, f) for f in PRICE_FIELDS), strict=True)
                    )
            try:
                merged = _model({**base, **fields})
            except (TypeError, ValueError) as exc:
                raise CatalogError(f"models.{model_id}: {exc}") from exc
            if current is None:
                models.append(merged)
            else:
                models[models.index(current)] = merged
        return self._with(models)
