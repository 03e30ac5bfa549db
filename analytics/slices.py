"""Results computed on demand from the stored daily rows: by dimension and over a date window.

Nothing is queried again from where the data came from and nothing is stored: the daily
observations already held are summed per variant × metric (and per slice of one dimension,
``device`` = ``mobile``), in the asked days, and the engine (``analytics.stats``) reads those
sums exactly as the analysis does (``analysis.pipeline.engine_request``). The experiment's
``Result`` snapshots stay what its analysis wrote.

Across the slices of a dimension, each metric's comparisons (every slice × treatment) are one
family, corrected by the experiment's correction (Holm when it has none): with ten slices a
"significant" slice turns up by chance alone far more often than α. See docs/statistics.md,
"Slices and windows".
"""

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from experiments.models import Correction, Experiment, Metric
from experiments.selectors import experiment_metric_ids
from growthops.errors import NotPermitted, ValidationFailed
from roles.capabilities import can, refusal

from .analysis.pipeline import engine_request, summed, test_days
from .dimensions import dimension_refusal, experiment_dimensions
from .models import Observation
from .stats import (
    SRM_THRESHOLD,
    AnalysisInputError,
    adjust_p_values,
    chance_of_a_false_positive,
    compute,
    is_significant,
    parse_request,
)

# A slice whose smallest arm has fewer users reads wide intervals and a weak SRM check.
SMALL_SLICE_USERS = 200
# Past this many slices the warning says so more strongly; past MAX_SLICES the smallest go.
MANY_SLICES = 10
MAX_SLICES = 50


@dataclass
class Slice:
    """One value of the dimension (``value`` "" is the overall row) and its comparisons."""

    value: str
    users: int
    results: list[dict] = field(default_factory=list)


@dataclass
class ComputedResults:
    experiment: Experiment
    dimension: str  # "" without one
    date_from: dt.date | None
    date_to: dt.date | None
    correction: str | None  # across the slices; None without a dimension
    slices: list[Slice]
    warnings: list[str]
    metrics: list[Metric] = field(default_factory=list)  # measured, primary first

    @property
    def warning(self) -> str | None:
        return " ".join(self.warnings) or None

    def by_metric(self) -> list[tuple[Metric, list[tuple[Slice, dict]]]]:
        """Each metric with its (slice, row) pairs, slice by slice (the page's tables)."""
        tables = []
        for metric in self.metrics:
            pairs = [(s, r) for s in self.slices for r in s.results if r["metric"] == metric.key]
            if pairs:
                tables.append((metric, pairs))
        return tables


def results_computed(
    experiment: Experiment,
    *,
    user,
    dimension: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> ComputedResults:
    """``experiment``'s results by ``dimension`` (each slice's own), within the days from
    ``date_from`` to ``date_to`` (inclusive; either open), as ``user`` may read them.

    ``dimension`` is one of :func:`~analytics.dimensions.experiment_dimensions` (the
    organisation's list and those of the experiment's stored rows), else ValidationFailed
    naming ``dimension`` and the allowed ones."""
    if not can(user, "results.read", experiment):
        raise NotPermitted(refusal(user, "results.read", experiment))
    allowed = experiment_dimensions(experiment.pk) if dimension else []
    if dimension and (reason := dimension_refusal(dimension, allowed)):
        raise ValidationFailed({"dimension": reason})
    variants = sorted(experiment.variants.all(), key=lambda v: (not v.is_control, v.key))
    metric_ids = sorted(
        experiment_metric_ids([experiment.pk]).get(experiment.pk, ()),
        key=lambda pk: (pk != experiment.deciding_metric_id, pk),
    )
    metrics = Metric.objects.in_bulk(metric_ids)
    sums = _window_sums(experiment, dimension, date_from, date_to)
    slices, families = _families(experiment, variants, [metrics[m] for m in metric_ids], sums)
    warnings = []
    if len(slices) > MAX_SLICES:
        warnings.append(
            f"{len(slices)} values of {dimension}: only the {MAX_SLICES} with the most users "
            "are shown."
        )
        kept = {s.value for s in slices[:MAX_SLICES]}
        slices = slices[:MAX_SLICES]
        families = [f for f in families if f[0].value in kept]
    parsed = []
    for family in families:
        try:
            parsed.append((family, parse_request(family[2])))
        except AnalysisInputError:
            continue  # too few users to compare (as the analysis skips it)
    responses = compute([request for _, request in parsed]) if parsed else []
    for (family, _), response in zip(parsed, responses, strict=True):
        piece, metric, request = family
        piece.results.extend(_rows(experiment, metric, variants, request, response))
    correction = _correct_across_slices(experiment, slices) if dimension else None
    shown = [s for s in slices if s.results]
    warnings.extend(_warnings(experiment, dimension, shown, correction))
    return ComputedResults(
        experiment=experiment,
        dimension=dimension,
        date_from=date_from,
        date_to=date_to,
        correction=correction,
        slices=shown,
        warnings=warnings,
        metrics=[metrics[m] for m in metric_ids],
    )


def _window_sums(experiment, dimension, date_from, date_to) -> dict:
    """(slice value, variant, metric) → the summed rows of the window (one query)."""
    rows = Observation.objects.filter(experiment_id=experiment.pk)
    rows = rows.sliced(dimension) if dimension else rows.overall()
    if date_from is not None:
        rows = rows.filter(date__gte=date_from)
    if date_to is not None:
        rows = rows.filter(date__lte=date_to)
    return {
        (r["dimension_value"], r["variant_id"], r["metric_id"]): r
        for r in summed(test_days(rows), "dimension_value", "variant_id", "metric_id")
    }


def _families(experiment, variants, metrics, sums) -> tuple[list[Slice], list[tuple]]:
    """The slices, most users first, and each slice × metric's engine request."""
    # Users per slice: every metric's rows count the same people; the largest count is kept.
    per_metric: dict[tuple[str, int], int] = {}
    for (value, _variant, metric_id), row in sums.items():
        per_metric[(value, metric_id)] = per_metric.get((value, metric_id), 0) + row["users"]
    users: dict[str, int] = {}
    for (value, _metric), count in per_metric.items():
        users[value] = max(users.get(value, 0), count)
    slices = [
        Slice(value=v, users=n) for v, n in sorted(users.items(), key=lambda i: (-i[1], i[0]))
    ]
    families = []
    for piece in slices:
        for metric in metrics:
            arms = [sums.get((piece.value, v.pk, metric.pk)) for v in variants]
            if len(variants) < 2 or any(arm is None for arm in arms):
                continue
            families.append((piece, metric, engine_request(experiment, metric, variants, arms)))
    return slices, families


def _rows(experiment, metric, variants, request, response) -> list[dict]:
    """The engine's answer as rows shaped like the stored results (control first)."""
    rows = []
    for variant, out in zip(variants, response["variants"], strict=True):
        diff_ci = out.get("diff_ci") or [None, None]
        lift_ci = out.get("lift_ci") or [None, None]
        row = {
            "metric": metric.key,
            "variant": variant.key,
            "is_control": variant.is_control,
            "users": int(out["users"]),
            "mean": out.get("mean"),
            "diff": out.get("diff"),
            "diff_ci_low": diff_ci[0],
            "diff_ci_high": diff_ci[1],
            "lift": out.get("lift"),
            "lift_ci_low": lift_ci[0],
            "lift_ci_high": lift_ci[1],
            "p_value": out.get("p_value"),
            "p_value_adjusted": out.get("p_value_adjusted"),
            "p_value_across_slices": None,
            "sequential_p_value": out.get("sequential_p_value"),
            "chance_to_beat_control": out.get("chance_to_beat_control"),
            "expected_loss": out.get("expected_loss"),
            "srm_p_value": response["srm_p_value"],
            "srm_detected": response["srm_p_value"] is not None
            and response["srm_p_value"] < SRM_THRESHOLD,
            "alpha": experiment.alpha,
            "cuped": "covariate_sum" in request["variants"][0],
        }
        row["significant"] = _significant(experiment, row, row["p_value_adjusted"])
        rows.append(row)
    return rows


def _significant(experiment, row, p_value) -> bool:
    if row["is_control"]:
        return False
    return is_significant(
        method=experiment.method,
        alpha=experiment.alpha,
        p_value_adjusted=p_value,
        sequential_p_value=row["sequential_p_value"],
        chance_to_beat_control=row["chance_to_beat_control"],
    )


# The corrections across slices: the experiment's own, Holm when it has none.
SLICE_CORRECTIONS = [(c.value, c.label) for c in (Correction.HOLM, Correction.BENJAMINI_HOCHBERG)]


def _correct_across_slices(experiment, slices: list[Slice]) -> str:
    """Each metric's comparisons over every slice × treatment are one family: their p-values
    (and the always-valid ones) corrected together. Returns the method used."""
    method = experiment.correction if experiment.correction != "none" else "holm"
    treated = [row for s in slices for row in s.results if not row["is_control"]]
    if not treated:
        return method
    family = np.unique([row["metric"] for row in treated], return_inverse=True)[1]
    for name, corrected in (
        ("p_value", "p_value_across_slices"),
        ("sequential_p_value", "sequential_p_value"),
    ):
        values = np.array([np.nan if r[name] is None else r[name] for r in treated], dtype=float)
        if np.isnan(values).all():
            continue
        adjusted = adjust_p_values(values, method, family).tolist()
        for row, value in zip(treated, adjusted, strict=True):
            row[corrected] = None if np.isnan(value) else value
    for row in treated:
        row["significant"] = _significant(experiment, row, row["p_value_across_slices"])
    return method


def _warnings(experiment, dimension, slices: list[Slice], correction) -> list[str]:
    if not slices:
        return ["No daily rows in these days" + (f" for {dimension}." if dimension else ".")]
    if not dimension:
        return []
    warnings = []
    count = len(slices)
    if count >= 2:
        chance = chance_of_a_false_positive(experiment.alpha, count)
        warnings.append(
            f"{count} slices of {dimension}: with no real difference anywhere, one slice or more "
            f"would read significant about {chance:.0%} of the time at α = {experiment.alpha:g}. "
            f"The p-values are corrected across the slices ({_named(correction)}); read a "
            "slice's result as a lead to test, not as a finding."
        )
    if count > MANY_SLICES:
        warnings.append(
            f"With {count} slices each holds little of the traffic: prefer a dimension with "
            "fewer values."
        )
    small = [s.value for s in slices if min(r["users"] for r in s.results) < SMALL_SLICE_USERS]
    if small:
        listed = ", ".join(small[:8]) + (f" and {len(small) - 8} more" if len(small) > 8 else "")
        warnings.append(
            f"Small slices ({listed}): an arm has fewer than {SMALL_SLICE_USERS} users, so "
            "their intervals are wide and a mismatch in their split goes unseen."
        )
    return warnings


def _named(correction: str | None) -> str:
    return {"holm": "Holm", "benjamini-hochberg": "Benjamini–Hochberg"}.get(correction, "none")
