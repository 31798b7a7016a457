"""The price table (``prices.yaml``) and usage assumptions (``assumptions.yaml`` + overrides)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from infra.errors import ConfigError

HERE = Path(__file__).parent
PRICES_PATH = HERE / "prices.yaml"
ASSUMPTIONS_PATH = HERE / "assumptions.yaml"
_PRICES_DISPLAY = "infra/cost/prices.yaml"
ENUMS = {("aks", "load_nodes"): ("max", "count")}


@dataclass(frozen=True)
class Price:
    """``usd`` per ``per`` units of ``unit``."""

    key: str
    usd: Decimal
    per: Decimal
    unit: str
    region: str
    source: str
    effective: str
    confidence: str

    def cost(self, quantity: Decimal) -> Decimal:
        """What ``quantity`` units cost."""
        return quantity / self.per * self.usd


@dataclass(frozen=True)
class PriceTable:
    """The loaded price table."""

    region: str
    currency: str
    hours_per_month: Decimal
    prices: dict[str, Price]
    free_grants: dict[str, Decimal]
    free: dict[str, str]
    families_free: dict[str, str]

    def get(self, key: str) -> Price | None:
        """The price under ``key`` or None."""
        return self.prices.get(key)

    def free_reason(self, type_token: str) -> str | None:
        """Why a type is free, or None when it is not listed as free."""
        if type_token in self.free:
            return self.free[type_token]
        for prefix in sorted(self.families_free, key=len, reverse=True):
            if type_token.startswith(prefix):
                return self.families_free[prefix]
        return None


def _dec(value: Any, key: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"expected a non-negative number, got {value!r}", file=_PRICES_DISPLAY, key=key)
    return Decimal(str(value))


def parse_prices(data: dict[str, Any]) -> PriceTable:
    """Build a :class:`PriceTable` from the YAML mapping."""
    prices: dict[str, Price] = {}
    for key, raw in (data.get("prices") or {}).items():
        for field in ("usd", "per", "unit", "region", "source", "effective", "confidence"):
            if field not in raw:
                raise ConfigError(f"price {key!r} lacks {field!r}", file=_PRICES_DISPLAY, key=f"prices.{key}")
        prices[key] = Price(
            key,
            _dec(raw["usd"], f"prices.{key}.usd"),
            _dec(raw["per"], f"prices.{key}.per"),
            str(raw["unit"]),
            str(raw["region"]),
            str(raw["source"]),
            str(raw["effective"]),
            str(raw["confidence"]),
        )
    grants = {k: _dec(v["quantity"], f"free_grants.{k}") for k, v in (data.get("free_grants") or {}).items()}
    return PriceTable(
        region=str(data["region"]),
        currency=str(data["currency"]),
        hours_per_month=_dec(data["hours_per_month"], "hours_per_month"),
        prices=prices,
        free_grants=grants,
        free={str(k): str(v) for k, v in (data.get("free") or {}).items()},
        families_free={str(k): str(v) for k, v in (data.get("families_free") or {}).items()},
    )


def _load_yaml(path: Path, display: str) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return YAML(typ="safe").load(handle)
    except FileNotFoundError:
        raise ConfigError("file not found", file=display) from None
    except YAMLError as exc:
        raise ConfigError(f"not valid YAML: {str(exc).splitlines()[0]}", file=display) from None


@cache
def load_prices(path: Path = PRICES_PATH) -> PriceTable:
    """Load (once) the price table."""
    return parse_prices(_load_yaml(path, _PRICES_DISPLAY))


@cache
def _default_assumptions() -> dict[str, Any]:
    data = _load_yaml(ASSUMPTIONS_PATH, "infra/cost/assumptions.yaml")
    data.pop("schema", None)
    return data


def default_assumptions() -> dict[str, dict[str, Any]]:
    """A fresh copy of the default assumptions."""
    return copy.deepcopy(_default_assumptions())


def merge_assumptions(overrides: Any, *, file: str) -> dict[str, dict[str, Any]]:
    """The defaults with ``overrides`` (a mapping of the same sections and keys) applied."""
    merged = default_assumptions()
    if overrides is None:
        return merged
    if not isinstance(overrides, dict):
        raise ConfigError(f"expected a mapping of sections, got {type(overrides).__name__}", file=file)
    for section, values in overrides.items():
        if section == "schema":
            continue
        if section not in merged:
            raise ConfigError(
                f"unknown section {section!r}; allowed: {', '.join(sorted(merged))}",
                file=file,
                key=str(section),
            )
        if not isinstance(values, dict):
            raise ConfigError(f"expected a mapping, got {values!r}", file=file, key=str(section))
        for key, value in values.items():
            where = f"{section}.{key}"
            if key not in merged[section]:
                raise ConfigError(
                    f"unknown key {key!r}; allowed: {', '.join(sorted(merged[section]))}",
                    file=file,
                    key=where,
                )
            default = merged[section][key]
            if (section, key) in ENUMS:
                allowed = ENUMS[(section, key)]
                if value not in allowed:
                    raise ConfigError(f"got {value!r}; allowed: {', '.join(allowed)}", file=file, key=where)
            elif isinstance(default, str):
                if not isinstance(value, str) or not value:
                    raise ConfigError(f"expected a non-empty string, got {value!r}", file=file, key=where)
            elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"expected a non-negative number, got {value!r}", file=file, key=where)
            merged[section][key] = value
    return merged


def load_assumptions(path: Path | None) -> dict[str, dict[str, Any]]:
    """The defaults, overridden by the YAML file at ``path`` when given."""
    if path is None:
        return default_assumptions()
    return merge_assumptions(_load_yaml(path, str(path)), file=str(path))
