"""The model catalogue: built-in prices (models.toml) merged with what the API's models endpoint lists."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from importlib import resources


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
    listed_by_api: bool = False

    @property
    def price_label(self) -> str:
        """Short input/output price, or a plain admission that we do not know it."""
        if self.price is None:
            return "price unknown"
        return f"${self.price.input:g} in / ${self.price.output:g} out per MTok"


class Catalog:
    """Every model the studio can offer, in display order; lookups accept aliases."""

    def __init__(self, models: list[ModelInfo], default: str, source: str = "", date: str = ""):
        self.models = models
        self.default = default
        self.source = source
        self.date = date

    @classmethod
    def builtin(cls) -> Catalog:
        data = tomllib.loads(resources.files("studio.core").joinpath("models.toml").read_text())
        models = [
            ModelInfo(
                id=m["id"],
                name=m["name"],
                good_for=m.get("good_for", ""),
                aliases=tuple(m.get("aliases", ())),
                price=Price(
                    m["input"], m["output"], m["cache_write_5m"], m["cache_write_1h"], m["cache_read"]
                ),
            )
            for m in data["model"]
        ]
        return cls(models, data["default"], data.get("source", ""), data.get("date", ""))

    def get(self, model_id: str) -> ModelInfo | None:
        for model in self.models:
            if model_id == model.id or model_id in model.aliases:
                return model
        return None

    def info(self, model_id: str) -> ModelInfo:
        """The catalogue entry, or an unpriced one: an unknown model is never free."""
        return self.get(model_id) or ModelInfo(id=model_id, name=model_id)

    def merged_with_api(self, listed: list[tuple[str, str]]) -> Catalog:
        """Mark the models the API lists; add the ones we have no price for, as 'price unknown'."""
        listed_ids = {model_id for model_id, _ in listed}
        models = [replace(m, listed_by_api=m.id in listed_ids or bool(listed_ids & set(m.aliases)))
                  for m in self.models]
        for model_id, display_name in listed:
            if self.get(model_id) is None:
                models.append(ModelInfo(id=model_id, name=display_name or model_id,
                                        good_for="listed by the API", listed_by_api=True))
        return Catalog(models, self.default, self.source, self.date)
