"""The JSON contract: ``analyse(request) -> response`` and its batched form.

Request (``higher_is_better``, ``metric_type`` and ``variants`` required; the rest optional)::

    {"metric_type": "binomial" | "mean", "higher_is_better": true, "alpha": 0.05,
     "correction": "none" | "holm" | "benjamini-hochberg", "weights": [0.5, 0.5],
     "sequential_tau": 0.01,
     "variants": [{"name": "control", "users": 1000, "conversions": 100}, ...]}

Mean variants give ``users``, ``sum``, ``sum_squares``; CUPED adds ``covariate_sum``,
``covariate_sum_squares`` and ``cross_sum`` to every variant. The first variant is the
control. An optional field sent as ``null`` takes its default. Unknown fields are refused, so
a misspelt optional field cannot be silently ignored.

Response: ``srm_p_value``, ``srm_detected`` and per variant ``name``, ``users``, ``mean``;
treatments add ``diff``, ``diff_ci``, ``lift``, ``lift_ci``, ``p_value``,
``p_value_adjusted``, ``sequential_p_value`` (null without ``sequential_tau``),
``chance_to_beat_control``, ``expected_loss`` and ``significant``
(``p_value_adjusted < alpha``, the frequentist rule of ``significance.is_significant``). Undefined numbers are ``None``, never NaN or infinity.

Direction (``higher_is_better: false``): ``chance_to_beat_control`` becomes ``P(treatment <
control)`` and ``expected_loss`` becomes ``E[max(treatment − control, 0)]``. ``diff``,
``lift``, their CIs and the p-values keep their plain meaning (treatment minus control,
two-sided), so ``significant`` says "the arms differ" in either direction; a significant win is
``significant`` with ``chance_to_beat_control > 0.5``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .bayesian import binomial_chance_to_beat, normal_chance_to_beat
from .corrections import METHODS, adjust_p_values
from .cuped import cuped_adjust
from .frequentist import welch_test, z_test
from .sequential import msprt_p_value
from .significance import FREQUENTIST, is_significant
from .srm import SRM_THRESHOLD, srm_test

METRIC_TYPES = ("binomial", "mean")
CUPED_FIELDS = ("covariate_sum", "covariate_sum_squares", "cross_sum")
_METRIC_FIELDS = {"binomial": ("conversions",), "mean": ("sum", "sum_squares")}
_TOP_FIELDS = (
    "metric_type",
    "higher_is_better",
    "alpha",
    "correction",
    "weights",
    "sequential_tau",
    "variants",
)
_OPTIONAL_FIELDS = ("alpha", "correction", "weights", "sequential_tau")
_WEIGHT_TOLERANCE = 1e-6
_SUM_TOLERANCE = 1e-9  # relative slack for sums that must be consistent (rounding)


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


def _number(obj: dict, key: str, field: str, errors: dict, *, integer: bool = False):
    """``obj[key]`` as a float, or None after recording why not. Missing → "is required"."""
    if key not in obj:
        errors[field] = "is required"
        return None
    value = obj[key]
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors[field] = f"must be {kind}"
        return None
    if isinstance(value, float) and not math.isfinite(value):
        errors[field] = f"must be {kind}, not {value}"
        return None
    if integer and isinstance(value, float) and not value.is_integer():
        errors[field] = "must be an integer"
        return None
    return float(value)


def _at_least_sum_sq_over_n(squares: float, total: float, n: float) -> bool:
    """``Σv² ≥ (Σv)²/n`` (Cauchy–Schwarz: a variance is never negative), with rounding slack."""
    floor = total * total / n
    return squares >= floor - _SUM_TOLERANCE * max(abs(floor), abs(squares), 1.0)


def _parse_variant(index: int, variant, metric_type: str | None, errors: dict):
    prefix = f"variants[{index}]"
    if not isinstance(variant, dict):
        errors[prefix] = "must be an object"
        return None
    allowed = {"name", "users", *CUPED_FIELDS}
    for kind, fields in _METRIC_FIELDS.items():
        if metric_type in (kind, None):  # unknown metric_type: judge the fields later
            allowed.update(fields)
    for key in variant:
        if key not in allowed:
            used_by = [kind for kind, fields in _METRIC_FIELDS.items() if key in fields]
            errors[f"{prefix}.{key}"] = (
                f"is not used by {metric_type} metrics" if used_by else "unknown field"
            )

    name = variant.get("name")
    if "name" not in variant:
        errors[f"{prefix}.name"] = "is required"
    elif not isinstance(name, str) or not name.strip():
        errors[f"{prefix}.name"] = "must be a non-empty string"

    users = _number(variant, "users", f"{prefix}.users", errors, integer=True)
    if users is not None:
        if users < 0:
            errors[f"{prefix}.users"] = "must not be negative"
            users = None
        elif metric_type == "mean" and users < 2:
            errors[f"{prefix}.users"] = "must be at least 2 for a mean metric"
            users = None
        elif users < 1:
            errors[f"{prefix}.users"] = "must be at least 1"
            users = None

    total = squares = None
    if metric_type == "binomial":
        field = f"{prefix}.conversions"
        total = _number(variant, "conversions", field, errors, integer=True)
        if total is not None and total < 0:
            errors[field] = "must not be negative"
            total = None
        elif total is not None and users is not None and total > users:
            errors[field] = "must not exceed users"
            total = None
        squares = total
    elif metric_type == "mean":
        total = _number(variant, "sum", f"{prefix}.sum", errors)
        field = f"{prefix}.sum_squares"
        squares = _number(variant, "sum_squares", field, errors)
        if squares is not None and squares < 0:
            errors[field] = "must not be negative"
            squares = None
        elif None not in (squares, total, users) and not _at_least_sum_sq_over_n(
            squares, total, users
        ):
            errors[field] = "must be at least sum²/users (a variance cannot be negative)"
            squares = None

    covariates = None
    given = [key for key in CUPED_FIELDS if key in variant]
    if given:
        for key in CUPED_FIELDS:
            if key not in variant:
                errors[f"{prefix}.{key}"] = "is required with the other CUPED sums"
        sx, sxx, sxy = (
            _number(variant, key, f"{prefix}.{key}", errors) if key in variant else None
            for key in CUPED_FIELDS
        )
        if None not in (sx, sxx, users) and not _at_least_sum_sq_over_n(sxx, sx, users):
            errors[f"{prefix}.covariate_sum_squares"] = (
                "must be at least covariate_sum²/users (a variance cannot be negative)"
            )
            sxx = None
        if None not in (sx, sxx, sxy, users, total, squares):
            var_x = sxx - sx * sx / users
            var_y = squares - total * total / users
            cov = sxy - sx * total / users
            slack = _SUM_TOLERANCE * max(abs(sxy), abs(sx * total / users), 1.0)
            if abs(cov) > math.sqrt(max(var_x, 0.0) * max(var_y, 0.0)) + slack:
                errors[f"{prefix}.cross_sum"] = (
                    "is inconsistent with the other sums (a correlation beyond ±1)"
                )
                sxy = None
        if None not in (sx, sxx, sxy):
            covariates = (sx, sxx, sxy)
    return name, users, total, squares, covariates, bool(given)


def parse_request(request) -> Request:
    """Validate a request dict; raise :class:`AnalysisInputError` naming every bad field."""
    if not isinstance(request, dict):
        raise AnalysisInputError({"request": "must be a JSON object"})
    # An optional field sent as null means "use the default".
    request = {k: v for k, v in request.items() if v is not None or k not in _OPTIONAL_FIELDS}
    errors: dict[str, str] = {}
    for key in request:
        if key not in _TOP_FIELDS:
            errors[str(key)] = "unknown field"

    metric_type = request.get("metric_type")
    if "metric_type" not in request:
        errors["metric_type"] = "is required"
    elif metric_type not in METRIC_TYPES:
        errors["metric_type"] = f"must be 'binomial' or 'mean' (got {metric_type!r})"
        metric_type = None

    higher_is_better = request.get("higher_is_better")
    if "higher_is_better" not in request:
        errors["higher_is_better"] = "is required"
    elif not isinstance(higher_is_better, bool):
        errors["higher_is_better"] = "must be true or false"

    alpha = 0.05
    if "alpha" in request:
        alpha = _number(request, "alpha", "alpha", errors)
        if alpha is not None and not 0 < alpha < 1:
            errors["alpha"] = f"must be between 0 and 1, exclusive (got {alpha:g})"

    correction = request.get("correction", "none")
    if correction not in METHODS:
        errors["correction"] = (
            f"must be one of {', '.join(repr(m) for m in METHODS)} (got {correction!r})"
        )

    tau = None
    if "sequential_tau" in request:
        tau = _number(request, "sequential_tau", "sequential_tau", errors)
        if tau is not None and tau <= 0:
            errors["sequential_tau"] = "must be positive"
            tau = None

    variants = request.get("variants")
    parsed = []
    if "variants" not in request:
        errors["variants"] = "is required"
        variants = None
    elif not isinstance(variants, list):
        errors["variants"] = "must be a list of variants, control first"
        variants = None
    elif len(variants) < 2:
        errors["variants"] = f"must have at least 2 variants, control first (got {len(variants)})"
    if variants is not None:
        parsed = [_parse_variant(i, v, metric_type, errors) for i, v in enumerate(variants)]
        seen: dict[str, int] = {}
        for i, item in enumerate(parsed):
            if item is not None and isinstance(item[0], str):
                if item[0] in seen:
                    errors[f"variants[{i}].name"] = f"duplicates variants[{seen[item[0]]}].name"
                seen.setdefault(item[0], i)
        with_cuped = [item is not None and item[5] for item in parsed]
        if any(with_cuped) and not all(with_cuped):
            for i, has in enumerate(with_cuped):
                if not has and parsed[i] is not None:
                    errors[f"variants[{i}].covariate_sum"] = (
                        "is required: CUPED needs covariate sums for every variant"
                    )

    count = len(variants) if isinstance(variants, list) else None
    weights = None
    if "weights" in request:
        raw = request["weights"]
        if not isinstance(raw, list):
            errors["weights"] = "must be a list of numbers, one per variant"
        elif count is not None and len(raw) != count:
            errors["weights"] = (
                f"must have one weight per variant (got {len(raw)} for {count} variants)"
            )
        else:
            values = [_number({"w": w}, "w", f"weights[{i}]", errors) for i, w in enumerate(raw)]
            for i, w in enumerate(values):
                if w is not None and w <= 0:
                    errors[f"weights[{i}]"] = "must be positive"
            if all(w is not None and w > 0 for w in values):
                total = math.fsum(values)
                if abs(total - 1.0) > _WEIGHT_TOLERANCE:
                    errors["weights"] = f"must sum to 1 (got {total:g})"
                weights = tuple(values)
    elif count:
        weights = (1.0 / count,) * count

    if errors:
        raise AnalysisInputError(errors)
    cuped = parsed[0][4] is not None
    return Request(
        metric_type=metric_type,
        higher_is_better=higher_is_better,
        alpha=alpha,
        correction=correction,
        weights=weights,
        sequential_tau=tau,
        names=tuple(item[0] for item in parsed),
        users=tuple(item[1] for item in parsed),
        sum=tuple(item[2] for item in parsed),
        sum_squares=tuple(item[3] for item in parsed),
        covariates=tuple(item[4] for item in parsed) if cuped else None,
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _interval(low: float, high: float) -> list[float] | None:
    if math.isfinite(low) and math.isfinite(high):
        return [low, high]
    return None


def compute(requests: list[Request]) -> list[dict]:
    """Analyse validated requests in one vectorised pass (arms of all requests flattened)."""
    if not requests:
        return []
    sizes = np.array([len(r.names) for r in requests])
    arm_group = np.repeat(np.arange(len(requests)), sizes)
    users = np.array([u for r in requests for u in r.users])
    total = np.array([s for r in requests for s in r.sum])
    squares = np.array([s for r in requests for s in r.sum_squares])
    weights = np.array([w for r in requests for w in r.weights])
    binomial = np.array([r.metric_type == "binomial" for r in requests])
    cuped = np.array([r.covariates is not None for r in requests])
    arm_binomial = binomial[arm_group]
    arm_cuped = cuped[arm_group]

    mean = total / users
    var = np.empty_like(mean)
    plain_binomial = arm_binomial & ~arm_cuped
    var[plain_binomial] = mean[plain_binomial] * (1.0 - mean[plain_binomial])
    plain_mean = ~arm_binomial & ~arm_cuped
    n = users[plain_mean]
    var[plain_mean] = np.maximum(
        (squares[plain_mean] - total[plain_mean] * mean[plain_mean]) / (n - 1.0), 0.0
    )
    if cuped.any():
        covariates = np.array([c for r in requests if r.covariates for c in r.covariates])
        adjusted = cuped_adjust(
            users[arm_cuped],
            total[arm_cuped],
            squares[arm_cuped],
            covariates[:, 0],
            covariates[:, 1],
            covariates[:, 2],
            arm_group[arm_cuped],
        )
        mean[arm_cuped] = adjusted.mean
        var[arm_cuped] = adjusted.var

    # Comparisons: each treatment arm against the first arm of its request.
    starts = np.cumsum(sizes) - sizes
    group = np.repeat(np.arange(len(requests)), sizes - 1)
    control = starts[group]
    treatment = np.flatnonzero(np.arange(users.size) != starts[arm_group])
    alpha = np.array([r.alpha for r in requests])[group]
    comp_binomial = binomial[group]
    fields = ("diff", "diff_ci_low", "diff_ci_high", "lift", "lift_ci_low", "lift_ci_high")
    out = {name: np.empty(group.size) for name in (*fields, "se", "p_value")}
    for mask, test in ((comp_binomial, z_test), (~comp_binomial, welch_test)):
        if mask.any():
            c, t = control[mask], treatment[mask]
            result = test(mean[c], var[c], users[c], mean[t], var[t], users[t], alpha[mask])
            for name in out:
                out[name][mask] = getattr(result, name)

    higher = np.array([r.higher_is_better for r in requests])[group]
    chance = np.empty(group.size)
    loss = np.empty(group.size)
    counted = comp_binomial & ~cuped[group]
    if counted.any():
        c, t = control[counted], treatment[counted]
        bayes = binomial_chance_to_beat(total[c], users[c], total[t], users[t], higher[counted])
        chance[counted], loss[counted] = bayes
    if (~counted).any():
        bayes = normal_chance_to_beat(out["diff"][~counted], out["se"][~counted], higher[~counted])
        chance[~counted], loss[~counted] = bayes

    tau = np.array([np.nan if r.sequential_tau is None else r.sequential_tau for r in requests])
    tau = tau[group]
    sequential = np.full(group.size, np.nan)
    has_tau = ~np.isnan(tau)
    if has_tau.any():
        sequential[has_tau] = msprt_p_value(out["diff"][has_tau], out["se"][has_tau], tau[has_tau])

    correction = np.array([r.correction for r in requests])[group]
    adjusted_p = out["p_value"].copy()
    for method in ("holm", "benjamini-hochberg"):
        mask = correction == method
        if mask.any():
            adjusted_p[mask] = adjust_p_values(out["p_value"][mask], method, group[mask])

    srm = srm_test(users, weights, arm_group).p_value

    # Back to JSON-shaped dicts (tolist() once: Python floats, then NaN/inf -> None).
    per_comparison = {name: values.tolist() for name, values in out.items()}
    chance, loss, sequential, adjusted_p = (
        v.tolist() for v in (chance, loss, sequential, adjusted_p)
    )
    means = mean.tolist()
    responses = []
    k = 0
    for r_index, request in enumerate(requests):
        arm = int(starts[r_index])
        variants = [
            {"name": request.names[0], "users": int(request.users[0]), "mean": _finite(means[arm])}
        ]
        for j in range(1, len(request.names)):
            pc = per_comparison
            p_adj = _finite(adjusted_p[k])
            variants.append(
                {
                    "name": request.names[j],
                    "users": int(request.users[j]),
                    "mean": _finite(means[arm + j]),
                    "diff": _finite(pc["diff"][k]),
                    "diff_ci": _interval(pc["diff_ci_low"][k], pc["diff_ci_high"][k]),
                    "lift": _finite(pc["lift"][k]),
                    "lift_ci": _interval(pc["lift_ci_low"][k], pc["lift_ci_high"][k]),
                    "p_value": _finite(pc["p_value"][k]),
                    "p_value_adjusted": p_adj,
                    "sequential_p_value": _finite(sequential[k]),
                    "chance_to_beat_control": _finite(chance[k]),
                    "expected_loss": _finite(loss[k]),
                    "significant": is_significant(
                        method=FREQUENTIST, alpha=request.alpha, p_value_adjusted=p_adj
                    ),
                }
            )
            k += 1
        srm_p = _finite(float(srm[r_index]))
        responses.append(
            {
                "srm_p_value": srm_p,
                "srm_detected": srm_p is not None and srm_p < SRM_THRESHOLD,
                "variants": variants,
            }
        )
    return responses


def analyse(request: dict) -> dict:
    """Analyse one experiment's metric; raise :class:`AnalysisInputError` on bad input."""
    return compute([parse_request(request)])[0]


def analyse_many(requests: list) -> list[dict]:
    """Analyse many requests in one vectorised pass.

    Returns one entry per request, in order: the response, or ``{"errors": {...}}`` for a
    request that failed validation (the others are still analysed).
    """
    parsed: list[Request] = []
    positions: list[int] = []
    responses: list[dict | None] = [None] * len(requests)
    for position, request in enumerate(requests):
        try:
            parsed.append(parse_request(request))
            positions.append(position)
        except AnalysisInputError as exc:
            responses[position] = {"errors": exc.errors}
    for position, response in zip(positions, compute(parsed), strict=True):
        responses[position] = response
    return responses
