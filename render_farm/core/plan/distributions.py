"""Distributions of randomized parameters, as written in a dataset config.

Forms (YAML):
    focal_mm: 50                          # a constant
    focal_mm: [35, 60]                    # uniform between min and max (shorthand)
    focal_mm: {uniform: [35, 60]}
    focal_mm: {normal: {mean: 50, std: 8, min: 30, max: 80}}   # clipped to [min, max] when given
    hdri: {choice: [city, forest]}        # equally likely, or with weights:
    hdri: {choice: [city, forest], weights: [3, 1]}
An unknown form is rejected with its name, before anything is rendered.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

from render_farm.core.plan.seeding import Stream

KINDS = ("constant", "uniform", "normal", "choice")


class Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    std: float | None = None
    values: tuple[Any, ...] = ()
    weights: tuple[float, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, dict) and "kind" in data:
            return data
        if isinstance(data, bool):
            raise ValueError("a distribution must be a number, [min, max], or {uniform|normal|choice: ...}")
        if isinstance(data, int | float):
            return {"kind": "constant", "low": float(data), "high": float(data)}
        if isinstance(data, list | tuple):
            if len(data) != 2 or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in data):
                raise ValueError("a range must be two numbers [min, max]")
            return {"kind": "uniform", "low": float(data[0]), "high": float(data[1])}
        if isinstance(data, dict):
            names = [k for k in data if k != "weights"]
            if len(names) != 1:
                raise ValueError(f"a distribution needs exactly one of {', '.join(KINDS[1:])}")
            name = names[0]
            if name == "uniform":
                return cls._parse(data[name])
            if name == "normal":
                spec = data[name]
                if not isinstance(spec, dict) or "mean" not in spec or "std" not in spec:
                    raise ValueError("normal needs {mean, std} (and optionally min, max)")
                extra = set(spec) - {"mean", "std", "min", "max"}
                if extra:
                    raise ValueError(f"normal does not take {sorted(extra)[0]!r}")
                return {"kind": "normal", "mean": spec["mean"], "std": spec["std"],
                        "low": spec.get("min"), "high": spec.get("max")}
            if name == "choice":
                values = data[name]
                if not isinstance(values, list) or not values:
                    raise ValueError("choice needs a non-empty list")
                return {"kind": "choice", "values": tuple(values), "weights": tuple(data.get("weights") or ())}
            raise ValueError(f"unknown distribution {name!r} (use uniform, normal or choice)")
        raise ValueError("a distribution must be a number, [min, max], or {uniform|normal|choice: ...}")

    @model_validator(mode="after")
    def _check(self) -> Dist:
        for name in ("low", "high", "mean", "std"):
            v = getattr(self, name)
            if v is not None and not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"range min {self.low:g} is greater than max {self.high:g}")
        if self.kind == "normal" and (self.std is None or self.std < 0):
            raise ValueError("normal std must be >= 0")
        if self.kind == "choice" and self.weights:
            if not all(math.isfinite(w) for w in self.weights):
                raise ValueError("choice weights must be finite numbers")
            if len(self.weights) != len(self.values) or any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("choice weights must be one non-negative number per value, not all zero")
        return self

    def sample(self, rng: Stream) -> Any:
        if self.kind == "constant":
            return self.low
        if self.kind == "uniform":
            return rng.uniform(self.low, self.high) if self.high > self.low else float(self.low)
        if self.kind == "normal":
            x = rng.normal(self.mean, self.std)
            lo = -math.inf if self.low is None else self.low
            hi = math.inf if self.high is None else self.high
            return min(max(x, lo), hi)
        return self.values[rng.index(len(self.values), self.weights)]

    def support(self) -> tuple[float, float]:
        """Smallest and largest value this distribution can produce (numeric kinds)."""
        if self.kind == "choice":
            nums = [v for v in self.values if isinstance(v, int | float)]
            return (min(nums), max(nums)) if nums else (math.nan, math.nan)
        if self.kind == "normal":
            return (-math.inf if self.low is None else self.low, math.inf if self.high is None else self.high)
        return (self.low, self.high)


def check_support(d: Dist, lo: float | None = None, hi: float | None = None, what: str = "value",
                  strictly_positive: bool = False) -> Dist:
    """Reject a distribution that can produce values outside [lo, hi] (or <= 0)."""
    if d.kind == "choice":
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in d.values):
            raise ValueError(f"{what} choices must be numbers")
    a, b = d.support()
    if strictly_positive and a <= 0:
        raise ValueError(f"{what} must be positive")
    if lo is not None and a < lo:
        raise ValueError(f"range min {a:g} is below {lo:g}")
    if hi is not None and b > hi:
        raise ValueError(f"range max {b:g} is above {hi:g}")
    return d


def dist_in(lo: float | None = None, hi: float | None = None, what: str = "value", strictly_positive: bool = False):
    """A Dist field type that only accepts distributions within [lo, hi] (for pydantic models)."""
    return Annotated[Dist, AfterValidator(lambda d: check_support(d, lo, hi, what, strictly_positive))]


def choice_of(allowed: tuple[str, ...], what: str):
    """A Dist field type that must be a choice among `allowed` names."""

    def check(d: Dist) -> Dist:
        if d.kind != "choice" or any(x not in allowed for x in d.values):
            raise ValueError(f"{what} must be a choice of {', '.join(allowed)}")
        return d

    return Annotated[Dist, AfterValidator(check)]
