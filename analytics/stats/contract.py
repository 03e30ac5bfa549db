"""The JSON contract: ``analyse(request) -> response`` and its batched form.

Request (``metric_type`` and ``variants`` required; the rest optional, ``higher_is_better``
true when omitted)::

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

import numpy as np

from .bayesian import binomial_chance_to_beat, normal_chance_to_beat
from .corrections import adjust_p_values
from .cuped import cuped_adjust
from .frequentist import welch_test, z_test
from .request import AnalysisInputError, Request, parse_request
from .sequential import msprt_p_value
from .significance import FREQUENTIST, is_significant
from .srm import SRM_THRESHOLD, srm_test


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
    mean, var = _means_and_variances(requests, arm_group, users, total, squares)

    # Comparisons: each treatment arm against the first arm of its request.
    starts = np.cumsum(sizes) - sizes
    group = np.repeat(np.arange(len(requests)), sizes - 1)
    control = starts[group]
    treatment = np.flatnonzero(np.arange(users.size) != starts[arm_group])
    out = _tests(requests, group, control, treatment, mean, var, users)
    out["chance"], out["loss"] = _chance_to_beat(
        requests, group, control, treatment, total, users, out
    )
    out["sequential"] = _sequential_p_values(requests, group, out)
    out["p_value_adjusted"] = _adjusted_p_values(requests, group, out["p_value"])
    weights = np.array([w for r in requests for w in r.weights])
    srm = srm_test(users, weights, arm_group).p_value
    return _responses(requests, starts, mean, out, srm)


def _means_and_variances(requests, arm_group, users, total, squares):
    """Per arm: the mean and per-user variance, CUPED-adjusted where a request has covariates."""
    binomial = np.array([r.metric_type == "binomial" for r in requests])[arm_group]
    cuped = np.array([r.covariates is not None for r in requests])[arm_group]
    mean = total / users
    var = np.empty_like(mean)
    plain_binomial = binomial & ~cuped
    var[plain_binomial] = mean[plain_binomial] * (1.0 - mean[plain_binomial])
    plain_mean = ~binomial & ~cuped
    n = users[plain_mean]
    var[plain_mean] = np.maximum(
        (squares[plain_mean] - total[plain_mean] * mean[plain_mean]) / (n - 1.0), 0.0
    )
    if cuped.any():
        covariates = np.array([c for r in requests if r.covariates for c in r.covariates])
        adjusted = cuped_adjust(
            users[cuped],
            total[cuped],
            squares[cuped],
            covariates[:, 0],
            covariates[:, 1],
            covariates[:, 2],
            arm_group[cuped],
        )
        mean[cuped] = adjusted.mean
        var[cuped] = adjusted.var
    return mean, var


def _tests(requests, group, control, treatment, mean, var, users) -> dict[str, np.ndarray]:
    """Per comparison: diff, lift, their intervals, se and p (z for binomial, Welch for mean)."""
    alpha = np.array([r.alpha for r in requests])[group]
    binomial = np.array([r.metric_type == "binomial" for r in requests])[group]
    fields = ("diff", "diff_ci_low", "diff_ci_high", "lift", "lift_ci_low", "lift_ci_high")
    out = {name: np.empty(group.size) for name in (*fields, "se", "p_value")}
    for mask, test in ((binomial, z_test), (~binomial, welch_test)):
        if mask.any():
            c, t = control[mask], treatment[mask]
            result = test(mean[c], var[c], users[c], mean[t], var[t], users[t], alpha[mask])
            for name in out:
                out[name][mask] = getattr(result, name)
    return out


def _chance_to_beat(requests, group, control, treatment, total, users, out):
    """Per comparison: chance to beat control and expected loss; exact for counted binomial
    arms, the normal approximation otherwise (CUPED's adjusted means are no longer counts)."""
    higher = np.array([r.higher_is_better for r in requests])[group]
    counted = np.array([r.metric_type == "binomial" and r.covariates is None for r in requests])[
        group
    ]
    chance = np.empty(group.size)
    loss = np.empty(group.size)
    if counted.any():
        c, t = control[counted], treatment[counted]
        bayes = binomial_chance_to_beat(total[c], users[c], total[t], users[t], higher[counted])
        chance[counted], loss[counted] = bayes
    if (~counted).any():
        bayes = normal_chance_to_beat(out["diff"][~counted], out["se"][~counted], higher[~counted])
        chance[~counted], loss[~counted] = bayes
    return chance, loss


def _sequential_p_values(requests, group, out) -> np.ndarray:
    """Per comparison: the mSPRT p-value where the request gives a τ, else NaN."""
    tau = np.array([np.nan if r.sequential_tau is None else r.sequential_tau for r in requests])
    tau = tau[group]
    sequential = np.full(group.size, np.nan)
    has_tau = ~np.isnan(tau)
    if has_tau.any():
        sequential[has_tau] = msprt_p_value(out["diff"][has_tau], out["se"][has_tau], tau[has_tau])
    return sequential


def _adjusted_p_values(requests, group, p_values) -> np.ndarray:
    """Per comparison: the p-value corrected within its request by the request's method."""
    correction = np.array([r.correction for r in requests])[group]
    adjusted = p_values.copy()
    for method in ("holm", "benjamini-hochberg"):
        mask = correction == method
        if mask.any():
            adjusted[mask] = adjust_p_values(p_values[mask], method, group[mask])
    return adjusted


def _responses(requests, starts, mean, out, srm) -> list[dict]:
    """Back to JSON-shaped dicts (tolist() once: Python floats, then NaN/inf -> None)."""
    pc = {name: values.tolist() for name, values in out.items()}
    means = mean.tolist()
    responses = []
    k = 0
    for r_index, request in enumerate(requests):
        arm = int(starts[r_index])
        variants = [
            {"name": request.names[0], "users": int(request.users[0]), "mean": _finite(means[arm])}
        ]
        for j in range(1, len(request.names)):
            p_adj = _finite(pc["p_value_adjusted"][k])
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
                    "sequential_p_value": _finite(pc["sequential"][k]),
                    "chance_to_beat_control": _finite(pc["chance"][k]),
                    "expected_loss": _finite(pc["loss"][k]),
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
