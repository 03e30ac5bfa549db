"""The JSON contract's request (see :mod:`.contract`): its fields, each checked by a small
function, and :func:`parse_request`, which checks them all and names every bad one.

A check takes a field's value (and what it needs of the fields checked before it) and returns
the value checked, or raises ``_Invalid`` saying why not; ``_field`` reads one field of an
object, applies its default or reports it missing, and collects the problems under the
field's path (``variants[1].conversions``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from .corrections import METHODS
from .sums import cross_sum_problem, squares_problem

METRIC_TYPES = ("binomial", "mean")
CUPED_FIELDS = ("covariate_sum", "covariate_sum_squares", "cross_sum")
_CUPED = frozenset(CUPED_FIELDS)
_METRIC_FIELDS = {"binomial": ("conversions",), "mean": ("sum", "sum_squares")}
# The fields a variant may have, by metric type; with an unknown type (None), those of every
# type, so that only the type itself is reported.
_VARIANT_FIELDS = {
    kind: frozenset(("name", "users", *CUPED_FIELDS, *fields))
    for kind, fields in _METRIC_FIELDS.items()
}
_VARIANT_FIELDS[None] = frozenset().union(*_VARIANT_FIELDS.values())
WEIGHT_TOLERANCE = 1e-6  # how far planned weights may sum from 1 (designs use it too)
_REQUIRED = object()


class AnalysisInputError(ValueError):
    """Bad request; ``errors`` maps each bad field (``variants[1].conversions``) to a message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))


@dataclass(frozen=True)
class Request:
    """A validated request; per-variant tuples, control first."""

    metric_type: str
    higher_is_better: bool
    alpha: float
    correction: str
    weights: tuple[float, ...]
    sequential_tau: float | None
    names: tuple[str, ...]
    users: tuple[float, ...]
    sum: tuple[float, ...]  # conversions for binomial metrics
    sum_squares: tuple[float, ...]  # conversions for binomial metrics
    covariates: tuple[tuple[float, float, float], ...] | None  # (Sx, Sxx, Sxy) per variant


class _Invalid(ValueError):
    """A field's value is unusable: ``problems`` maps a path relative to the field ("" for the
    field itself, ``[1]`` for an item of a list, ``users`` for a field of an object) to a
    message."""

    def __init__(self, problems: str | dict[str, str]):
        self.problems = {"": problems} if isinstance(problems, str) else problems
        super().__init__(problems)


def _field(obj: dict, name: str, check, problems: dict, *needs, default=_REQUIRED):
    """``obj[name]`` checked by ``check(value, *needs)``, or ``default`` when missing (without
    one: the problem "is required"); None after adding its problems to ``problems``."""
    if name not in obj:
        if default is _REQUIRED:
            problems[name] = "is required"
            return None
        return default
    try:
        return check(obj[name], *needs)
    except _Invalid as invalid:
        _add(problems, name, invalid)
        return None


def _checked(problems: dict, path: str, check, value, *needs):
    """``check(value, *needs)``, or None after adding its problems under ``path``."""
    try:
        return check(value, *needs)
    except _Invalid as invalid:
        _add(problems, path, invalid)
        return None


def _add(problems: dict, path: str, invalid: _Invalid) -> None:
    for below, message in invalid.problems.items():
        if not below or not path or below.startswith("["):
            problems[path + below] = message
        else:
            problems[f"{path}.{below}"] = message


# --- the fields' checks: each returns the value checked, or raises _Invalid ------------------


def _number(value, integer: bool = False) -> float:
    """A JSON number as a float; booleans, NaN and infinity are not numbers."""
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(f"must be {kind}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _Invalid(f"must be {kind}, not {value}")
    if integer and isinstance(value, float) and not value.is_integer():
        raise _Invalid("must be an integer")
    return float(value)


def _positive(value) -> float:
    number = _number(value)
    if number <= 0:
        raise _Invalid("must be positive")
    return number


def _metric_type(value) -> str:
    if value not in METRIC_TYPES:
        raise _Invalid(f"must be 'binomial' or 'mean' (got {value!r})")
    return value


def _boolean(value) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("must be true or false")
    return value


def _alpha(value) -> float:
    alpha = _number(value)
    if not 0 < alpha < 1:
        raise _Invalid(f"must be between 0 and 1, exclusive (got {alpha:g})")
    return alpha


def _correction(value) -> str:
    if value not in METHODS:
        raise _Invalid(f"must be one of {', '.join(repr(m) for m in METHODS)} (got {value!r})")
    return value


# Optional scalar fields: (check, default). Sent as null, a field takes its default. Most
# metrics (conversions, revenue) are better higher; a cost or a churn rate says so.
_OPTIONS = {
    "higher_is_better": (_boolean, True),
    "alpha": (_alpha, 0.05),
    "correction": (_correction, "none"),
    "sequential_tau": (_positive, None),
}
_TOP_FIELDS = ("metric_type", *_OPTIONS, "weights", "variants")
_NULL_IS_DEFAULT = (*_OPTIONS, "weights")


def _weights(value, count: int | None) -> tuple[float, ...]:
    """One positive weight per variant (``count``, when the variants are a list), summing to 1."""
    if not isinstance(value, list):
        raise _Invalid("must be a list of numbers, one per variant")
    if count is not None and len(value) != count:
        raise _Invalid(f"must have one weight per variant (got {len(value)} for {count} variants)")
    problems: dict[str, str] = {}
    weights = [_checked(problems, f"[{i}]", _positive, w) for i, w in enumerate(value)]
    if None not in weights:
        total = math.fsum(weights)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            problems[""] = f"must sum to 1 (got {total:g})"
    if problems:
        raise _Invalid(problems)
    return tuple(weights)


# --- a variant -------------------------------------------------------------------------------


class _Arm(NamedTuple):
    name: str
    users: float
    total: float  # conversions for binomial metrics
    squares: float  # conversions for binomial metrics
    covariates: tuple[float, float, float] | None


def _name(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid("must be a non-empty string")
    return value


def _users(value, metric_type: str | None) -> float:
    users = _number(value, integer=True)
    if users < 0:
        raise _Invalid("must not be negative")
    if metric_type == "mean" and users < 2:
        raise _Invalid("must be at least 2 for a mean metric")
    if users < 1:
        raise _Invalid("must be at least 1")
    return users


def _conversions(value, users: float | None) -> float:
    conversions = _number(value, integer=True)
    if conversions < 0:
        raise _Invalid("must not be negative")
    if users is not None and conversions > users:
        raise _Invalid("must not exceed users")
    return conversions


def _sum_squares(value, total: float | None, users: float | None) -> float:
    squares = _number(value)
    if squares < 0:
        raise _Invalid("must not be negative")
    if total is not None and users is not None:
        if problem := squares_problem(total, squares, users, total_field="sum"):
            raise _Invalid(problem)
    return squares


def _arm(variant, metric_type: str | None) -> _Arm:
    """One variant; with an unknown ``metric_type`` only the fields every type shares."""
    if not isinstance(variant, dict):
        raise _Invalid("must be an object")
    problems = _unknown_variant_fields(variant, metric_type)
    name = _field(variant, "name", _name, problems)
    users = _field(variant, "users", _users, problems, metric_type)
    total = squares = None
    if metric_type == "binomial":
        total = squares = _field(variant, "conversions", _conversions, problems, users)
    elif metric_type == "mean":
        total = _field(variant, "sum", _number, problems)
        squares = _field(variant, "sum_squares", _sum_squares, problems, total, users)
    covariates = _covariates(variant, users, total, squares, problems)
    if problems:
        raise _Invalid(problems)
    return _Arm(name, users, total, squares, covariates)


def _unknown_variant_fields(variant: dict, metric_type: str | None) -> dict[str, str]:
    allowed = _VARIANT_FIELDS[metric_type]
    if allowed.issuperset(variant):
        return {}
    return {
        key: (
            f"is not used by {metric_type} metrics"
            if any(key in fields for fields in _METRIC_FIELDS.values())
            else "unknown field"
        )
        for key in variant
        if key not in allowed
    }


def _covariates(variant: dict, users, total, squares, problems: dict):
    """CUPED's (Σx, Σx², Σxy), all three or none, consistent with the metric's sums."""
    if _CUPED.isdisjoint(variant):
        return None
    for key in CUPED_FIELDS:
        if key not in variant:
            problems[key] = "is required with the other CUPED sums"
    sx, sxx, sxy = (_field(variant, key, _number, problems, default=None) for key in CUPED_FIELDS)
    if None not in (sx, sxx, users):
        if problem := squares_problem(sx, sxx, users, total_field="covariate_sum"):
            problems["covariate_sum_squares"] = problem
            sxx = None
    if None not in (sx, sxx, sxy, users, total, squares):
        if problem := cross_sum_problem(sx, sxx, sxy, total, squares, users):
            problems["cross_sum"] = problem
            sxy = None
    return None if None in (sx, sxx, sxy) else (sx, sxx, sxy)


# --- the variants together -------------------------------------------------------------------


def _variants(value, metric_type: str | None) -> list[_Arm]:
    """At least two variants, control first, uniquely named, with CUPED sums in all or none."""
    if not isinstance(value, list):
        raise _Invalid("must be a list of variants, control first")
    problems: dict[str, str] = {}
    if len(value) < 2:
        problems[""] = f"must have at least 2 variants, control first (got {len(value)})"
    arms = [_checked(problems, f"[{i}]", _arm, v, metric_type) for i, v in enumerate(value)]
    _refuse_duplicate_names(value, problems)
    _refuse_partial_cuped(value, problems)
    if problems:
        raise _Invalid(problems)
    return arms


def _refuse_duplicate_names(variants: list, problems: dict) -> None:
    seen: dict[str, int] = {}
    for i, variant in enumerate(variants):
        name = variant.get("name") if isinstance(variant, dict) else None
        if isinstance(name, str):
            if name in seen:
                problems[f"[{i}].name"] = f"duplicates variants[{seen[name]}].name"
            seen.setdefault(name, i)


def _refuse_partial_cuped(variants: list, problems: dict) -> None:
    with_cuped = [isinstance(v, dict) and not _CUPED.isdisjoint(v) for v in variants]
    if any(with_cuped) and not all(with_cuped):
        for i, variant in enumerate(variants):
            if isinstance(variant, dict) and not with_cuped[i]:
                problems[f"[{i}].covariate_sum"] = (
                    "is required: CUPED needs covariate sums for every variant"
                )


def parse_request(request) -> Request:
    """Validate a request dict; raise :class:`AnalysisInputError` naming every bad field."""
    if not isinstance(request, dict):
        raise AnalysisInputError({"request": "must be a JSON object"})
    # An optional field sent as null means "use the default".
    request = {k: v for k, v in request.items() if v is not None or k not in _NULL_IS_DEFAULT}
    problems = {str(key): "unknown field" for key in request if key not in _TOP_FIELDS}
    metric_type = _field(request, "metric_type", _metric_type, problems)
    options = {
        name: _field(request, name, check, problems, default=default)
        for name, (check, default) in _OPTIONS.items()
    }
    arms = _field(request, "variants", _variants, problems, metric_type)
    sent = request.get("variants")
    count = len(sent) if isinstance(sent, list) else None
    weights = _field(request, "weights", _weights, problems, count, default=None)
    if problems:
        raise AnalysisInputError(problems)
    return Request(
        metric_type=metric_type,
        **options,
        weights=weights or (1.0 / count,) * count,
        names=tuple(arm.name for arm in arms),
        users=tuple(arm.users for arm in arms),
        sum=tuple(arm.total for arm in arms),
        sum_squares=tuple(arm.squares for arm in arms),
        covariates=(
            tuple(arm.covariates for arm in arms) if arms[0].covariates is not None else None
        ),
    )
