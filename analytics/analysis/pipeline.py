"""Analysing experiments: cumulative observations → the statistics engine → Result snapshots.

Many experiments are analysed in one pass: one aggregate query for all their observations,
one vectorised call of the engine for all their comparisons (``analytics.stats.compute``),
one bulk upsert of the snapshots. A snapshot is keyed by the experiment's data version
(its "look"), so a redelivered task rewrites the same look instead of adding one.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone

from analytics.stats import AnalysisInputError, compute, parse_request
from experiments.hooks import experiments_changed
from experiments.models import LIVE, Experiment, Metric
from experiments.selectors import experiment_metric_ids

from ..models import AnalysisState, Observation, Result
from .alerts import raise_result_alerts

log = logging.getLogger(__name__)


@dataclass
class Family:
    """One experiment × metric: the variants compared, control first."""

    experiment: Experiment
    metric: Metric
    variants: list
    request: dict
    metric_version: int | None = None  # the newest warehouse definition among the rows


# Experiments per vectorised pass of the engine (and per batch task: see freshness).
EXPERIMENTS_PER_PASS = 500


def experiments_analyse(
    experiment_ids, *, progress=None, chunk_size: int = EXPERIMENTS_PER_PASS
) -> dict:
    """Analyse the given experiments (in chunks, one transaction each); returns counts."""
    ids = sorted(set(experiment_ids))
    totals = {"experiments": 0, "results": 0, "skipped": 0}
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        counts = _analyse_chunk(chunk)
        for key in totals:
            totals[key] += counts[key]
        if progress is not None:
            progress(min(start + chunk_size, len(ids)), len(ids))
    return totals


@transaction.atomic
def _analyse_chunk(ids: list[int]) -> dict:
    # Lock the states: an upload for these experiments waits until the snapshot is written,
    # so the look we store is exactly the data version we read.
    states = {
        s.experiment_id: s
        for s in AnalysisState.objects.select_for_update()
        .filter(experiment_id__in=ids)
        .order_by("experiment_id")
    }
    experiments = (
        Experiment.objects.filter(pk__in=list(states))
        .select_related("owner")
        .prefetch_related("variants", "guardrail_metrics")
    )
    metric_ids = experiment_metric_ids(list(states))
    metrics = Metric.objects.in_bulk({pk for pks in metric_ids.values() for pk in pks})
    families = _families(experiments, metric_ids, metrics, _cumulative_sums(list(states)))
    parsed, kept = [], []
    for family in families:
        try:
            parsed.append(parse_request(family.request))
            kept.append(family)
        except AnalysisInputError as exc:
            log.info("Not analysing %s / %s yet: %s", family.experiment, family.metric.key, exc)
    responses = compute(parsed) if parsed else []
    rows = _result_rows(kept, responses, states)
    _keep_sequential_p_non_increasing(rows)
    Result.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["experiment", "metric", "variant", "look"],
        update_fields=[f.name for f in Result._meta.concrete_fields if f.name not in _RESULT_KEY],
        batch_size=2000,
    )
    raise_result_alerts(kept, responses)
    # A concluded test's new look moves the programme's realised impact (experiments.hooks).
    experiments_changed(list(states), cause="results")
    now = timezone.now()
    for state in states.values():
        # Cleared only for the version we read; newer data keeps it stale.
        AnalysisState.objects.filter(pk=state.pk, data_version=state.data_version).update(
            stale=False, analysed_version=state.data_version, last_analysed_at=now
        )
    return {"experiments": len(states), "results": len(rows), "skipped": len(families) - len(kept)}


_RESULT_KEY = {"id", "experiment", "metric", "variant", "look", "computed_at"}


def _cumulative_sums(experiment_ids: list[int]) -> dict:
    """(experiment, variant, metric) → summed observations over the test's days, in one query.

    Days after the end date are a shipped winner's holdout, read by its re-checks only."""
    rows = test_days(Observation.objects.overall().filter(experiment_id__in=experiment_ids))
    return {
        (r["experiment_id"], r["variant_id"], r["metric_id"]): r
        for r in summed(rows, "experiment_id", "variant_id", "metric_id")
    }


def test_days(rows):
    """Only the rows of the test's own days: those after the end date are a shipped winner's
    holdout (its re-checks read them)."""
    return rows.filter(
        Q(experiment__end_date__isnull=True) | Q(date__lte=F("experiment__end_date"))
    )


def summed(rows, *keys: str):
    """Observation rows summed per ``keys`` (the arms of the engine's request: ``users``,
    ``conversions``, ``total``, ``squares``, the covariates' sums and the days counted)."""
    return (
        rows.values(*keys)
        .annotate(
            users=Sum("users"),
            conversions=Sum("conversions"),
            total=Sum("sum"),
            squares=Sum("sum_squares"),
            cov_sum=Sum("covariate_sum"),
            cov_squares=Sum("covariate_sum_squares"),
            cross=Sum("cross_sum"),
            days=Count("id"),
            cov_days=Count("covariate_sum"),
            metric_version=Max("metric_version"),
        )
        .order_by()
    )


def _families(
    experiments, metric_ids: dict[int, set[int]], metrics: dict[int, Metric], sums: dict
) -> list[Family]:
    families = []
    for experiment in experiments:
        variants = sorted(experiment.variants.all(), key=lambda v: (not v.is_control, v.key))
        for metric in (metrics[pk] for pk in sorted(metric_ids.get(experiment.pk, ()))):
            arms = [sums.get((experiment.pk, v.pk, metric.pk)) for v in variants]
            if len(variants) < 2 or any(arm is None for arm in arms):
                continue
            versions = [arm["metric_version"] for arm in arms if arm["metric_version"]]
            families.append(
                Family(
                    experiment,
                    metric,
                    variants,
                    engine_request(experiment, metric, variants, arms),
                    max(versions, default=None),
                )
            )
    return families


def engine_request(experiment: Experiment, metric: Metric, variants, arms) -> dict:
    """The engine's JSON contract for one experiment × metric (first variant = control);
    ``arms`` are the variants' sums from :func:`summed`, in the same order."""
    binomial = metric.kind == Metric.Kind.BINOMIAL
    with_cuped = all(arm["cov_days"] == arm["days"] for arm in arms)
    payload = []
    for variant, arm in zip(variants, arms, strict=True):
        entry = {"name": variant.key, "users": arm["users"]}
        if binomial:
            entry["conversions"] = arm["conversions"] or 0
        else:
            entry["sum"], entry["sum_squares"] = arm["total"] or 0.0, arm["squares"] or 0.0
        if with_cuped:
            entry.update(
                covariate_sum=arm["cov_sum"],
                covariate_sum_squares=arm["cov_squares"],
                cross_sum=arm["cross"],
            )
        payload.append(entry)
    total_weight = sum(v.weight for v in variants)
    return {
        "metric_type": metric.kind,
        "higher_is_better": metric.higher_is_better,
        "alpha": experiment.alpha,
        "correction": experiment.correction,
        "weights": [v.weight / total_weight for v in variants],
        "sequential_tau": experiment.sequential_tau,
        "variants": payload,
    }


def _result_rows(families: list[Family], responses: list[dict], states: dict) -> list[Result]:
    rows = []
    for family, response in zip(families, responses, strict=True):
        look = states[family.experiment.pk].data_version
        cuped = "covariate_sum" in family.request["variants"][0]
        for variant, out in zip(family.variants, response["variants"], strict=True):
            diff_ci = out.get("diff_ci") or [None, None]
            lift_ci = out.get("lift_ci") or [None, None]
            rows.append(
                Result(
                    experiment=family.experiment,
                    metric=family.metric,
                    variant=variant,
                    look=look,
                    is_control=variant.is_control,
                    users=int(out["users"]),
                    mean=out.get("mean"),
                    diff=out.get("diff"),
                    diff_ci_low=diff_ci[0],
                    diff_ci_high=diff_ci[1],
                    lift=out.get("lift"),
                    lift_ci_low=lift_ci[0],
                    lift_ci_high=lift_ci[1],
                    p_value=out.get("p_value"),
                    p_value_adjusted=out.get("p_value_adjusted"),
                    sequential_p_value=out.get("sequential_p_value"),
                    chance_to_beat_control=out.get("chance_to_beat_control"),
                    expected_loss=out.get("expected_loss"),
                    srm_p_value=response["srm_p_value"],
                    alpha=family.experiment.alpha,
                    method=family.experiment.method,
                    cuped=cuped,
                    metric_version=family.metric_version,
                )
            )
    return rows


def _keep_sequential_p_non_increasing(rows: list[Result]) -> None:
    """An always-valid p-value may only fall: take the minimum over the earlier looks too."""
    with_p = [r for r in rows if r.sequential_p_value is not None]
    if not with_p:
        return
    minima = (
        Result.objects.filter(
            experiment_id__in={r.experiment_id for r in with_p}, sequential_p_value__isnull=False
        )
        .values("experiment_id", "metric_id", "variant_id")
        .annotate(p=Min("sequential_p_value"))
        .order_by()
    )
    best = {(m["experiment_id"], m["metric_id"], m["variant_id"]): m["p"] for m in minima}
    for row in with_p:
        previous = best.get((row.experiment_id, row.metric_id, row.variant_id))
        if previous is not None and previous < row.sequential_p_value:
            row.sequential_p_value = previous


def experiments_to_sweep() -> list[int]:
    """Stale experiments, plus running and paused ones with data (beat re-analyses them)."""
    stale = AnalysisState.objects.filter(stale=True).values_list("experiment_id", flat=True)
    active = AnalysisState.objects.filter(
        experiment__status__in=LIVE,
        data_version__gt=0,
    ).values_list("experiment_id", flat=True)
    return sorted(set(stale) | set(active))
