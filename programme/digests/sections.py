"""The sections of each role's digest (``registry``): small reads over the database that return
plain items. Every read is a few queries whatever the size of the programme, and lists are
capped (``LIMIT``) with the full count on the first item's ``total`` where it matters."""

import datetime as dt

from django.conf import settings
from django.db.models import Count, Max, Min, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from analytics.models import Alert, AnalysisState, Result, SrmAcknowledgement
from analytics.stats import SRM_THRESHOLD
from experiments.models import (
    DECIDED,
    LIVE,
    ExperimentStatus,
    Hypothesis,
    Objective,
    StatusChange,
)
from experiments.next_steps import next_steps_for
from experiments.selectors import (
    experiment_list_for_user,
    experiments_awaiting_decision,
)
from experiments.units import format_in_unit
from roles.models import Role

from ..models import InsightReport, ShipRecheck
from ..portfolio.selectors import kpi_level, objective_history, objective_ledgers
from ..portfolio.standing import measured_history
from .period import Period
from .registry import register_section

LIMIT = 100  # items a section reads at most; the renderers say "and N more" past their own cap


def _experiment_path(experiment_id: int) -> str:
    return reverse("experiments:detail", args=[experiment_id])


def _days(delta: dt.timedelta) -> int:
    return max(delta.days, 0)


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


# --- CMO --------------------------------------------------------------------------------------


@register_section(Role.CMO, key="decisions", title="Decisions waiting for you")
def decisions_waiting(user, period: Period) -> list[dict]:
    """Designs in review and completed tests awaiting a decision, longest wait first."""
    waiting = experiments_awaiting_decision(user=user)
    total = waiting.count()
    items = []
    for experiment in waiting[:LIMIT]:
        days = _days(period.until - experiment.waiting_since)
        verb = "review" if experiment.status == ExperimentStatus.IN_REVIEW else "decision"
        items.append(
            {
                "experiment": experiment.pk,
                "name": experiment.name,
                "status": experiment.status,
                "waiting_days": days,
                "total": total,
                "text": f"{experiment.name}: waiting {days} d for your {verb}",
                "path": _experiment_path(experiment.pk),
            }
        )
    return items


@register_section(Role.CMO, key="objectives", title="Objectives: measured against the target")
def objectives_progress(user, period: Period) -> list[dict]:
    """Each active objective's ledger: realised impact as a share of the gap to target."""
    objectives = list(Objective.objects.filter(status=Objective.Status.ACTIVE).order_by("name"))
    ledgers = objective_ledgers(objectives, objective_history(objectives, days=31))
    measured = measured_history(objectives, days=31)
    items = []
    for objective in objectives:
        ledger = ledgers[objective.pk]
        forecast = ledger["forecast_in_flight"]  # what the progress bar adds
        text = (
            f"{objective.name}: {_percent(ledger['progress'])} of the gap realised "
            f"({format_in_unit(ledger['realised_impact'], objective.unit)} of "
            f"{format_in_unit(abs(ledger['gap']), objective.unit)} {objective.kpi})"
        )
        if forecast:
            text += (
                f"; {format_in_unit(forecast, objective.unit)} more expected from tests in flight"
            )
        measured_on, measured_now = (measured[objective.pk] or [(None, None)])[-1]
        estimated = kpi_level(objective, ledger["realised_impact"])
        if measured_now is not None and estimated is not None:
            text += (
                f"; measured {format_in_unit(measured_now, objective.unit)} on "
                f"{measured_on:%-d %b} against {format_in_unit(estimated, objective.unit)} "
                "estimated"
            )
        items.append(
            {
                "objective": objective.pk,
                "name": objective.name,
                "progress": ledger["progress"],
                "realised_impact": ledger["realised_impact"],
                "forecast_impact": ledger["forecast_impact"],
                "forecast_in_flight": forecast,
                "gap": ledger["gap"],
                "measured": measured_now,
                "estimated": estimated,
                "text": text,
                "path": reverse("programme:objective", args=[objective.pk]),
            }
        )
    return items


@register_section(Role.CMO, key="faded", title="Shipped winners that faded")
def faded_winners(user, period: Period) -> list[dict]:
    """Re-checks of this period that found a shipped winner's lift gone."""
    rechecks = (
        ShipRecheck.objects.filter(
            verdict=ShipRecheck.Verdict.FADED,
            checked_on__gt=timezone.localdate(period.since),
            checked_on__lte=timezone.localdate(period.until),
        )
        .select_related("experiment")
        .order_by("-checked_on", "experiment_id")[:LIMIT]
    )
    items = []
    for recheck in rechecks:
        lift = "—" if recheck.lift is None else f"{recheck.lift:+.1%}"
        items.append(
            {
                "experiment": recheck.experiment_id,
                "name": recheck.experiment.name,
                "after_days": recheck.after_days,
                "estimated_lift": recheck.estimated_lift,
                "lift": recheck.lift,
                "text": f"{recheck.experiment.name}: {lift} {recheck.after_days} days after "
                f"shipping, against {recheck.estimated_lift:+.1%} when decided",
                "path": _experiment_path(recheck.experiment_id),
            }
        )
    return items


@register_section(Role.CMO, key="partners", title="Partner returns")
def partner_returns(user, period: Period) -> list[dict]:
    """Each partner's return on its recorded costs, from the partners insight computed this
    period (the nightly insights run); nothing if it did not run."""
    report = InsightReport.objects.filter(name="partners", computed_at__gt=period.since).first()
    if report is None:
        return []
    items = []
    for row in report.data.get("partners", [])[:LIMIT]:
        ret = row.get("return")
        text = f"{row['partner']}: {row['wins']} wins of {row['concluded']} concluded, " + (
            f"return {ret:.2f}× its cost" if ret is not None else "no recorded cost"
        )
        items.append(
            {
                "partner": row["partner"],
                "wins": row["wins"],
                "concluded": row["concluded"],
                "return": ret,
                "text": text,
                "path": reverse("programme:insight", args=["partners"]),
            }
        )
    return items


# --- Operator ---------------------------------------------------------------------------------


def _owned_undecided(user):
    return experiment_list_for_user(user=user).filter(owner=user).exclude(status__in=DECIDED)


@register_section(Role.OPERATOR, key="next_steps", title="Your experiments: what each needs next")
def next_steps(user, period: Period) -> list[dict]:
    experiments = list(
        _owned_undecided(user)
        .prefetch_related("variants", "guardrail_metrics")
        .order_by("-updated_at", "-pk")[:LIMIT]
    )
    steps = next_steps_for(experiments, user=user)
    return [
        {
            "experiment": experiment.pk,
            "name": experiment.name,
            "status": experiment.status,
            "next_step": steps[experiment.pk],
            "text": f"{experiment.name}: {steps[experiment.pk]}",
            "path": _experiment_path(experiment.pk),
        }
        for experiment in experiments
    ]


@register_section(Role.OPERATOR, key="stale", title="Running without new data")
def stale_data(user, period: Period) -> list[dict]:
    """Running experiments whose latest observation is ``DIGEST_STALE_DAYS`` or more days old
    (or that have none, started that long ago)."""
    today = timezone.localdate(period.until)
    cutoff = today - dt.timedelta(days=settings.DIGEST_STALE_DAYS)
    experiments = (
        experiment_list_for_user(user=user)
        .filter(owner=user, status=ExperimentStatus.RUNNING, start_date__lte=cutoff)
        .annotate(last_day=Max("observations__date", filter=Q(observations__dimension="")))
        .filter(Q(last_day__isnull=True) | Q(last_day__lte=cutoff))
        .order_by("last_day", "pk")[:LIMIT]
    )
    items = []
    for experiment in experiments:
        since = experiment.last_day or experiment.start_date
        days = (today - since).days
        what = "no data since" if experiment.last_day else "no data at all since it started on"
        items.append(
            {
                "experiment": experiment.pk,
                "name": experiment.name,
                "last_day": experiment.last_day,
                "days_without_data": days,
                "text": f"{experiment.name}: {what} {since:%-d %b} ({days} d)",
                "path": _experiment_path(experiment.pk),
            }
        )
    return items


def unacknowledged_mismatches(experiment_ids) -> dict[int, float]:
    """Experiment id → the smallest SRM p-value at its latest look, for those flagged there and
    not acknowledged (analytics/srm.py, for many experiments in two queries)."""
    latest = Result.objects.filter(experiment_id=OuterRef("experiment_id")).order_by("-look")
    rows = (
        Result.objects.filter(experiment_id__in=experiment_ids, srm_p_value__lt=SRM_THRESHOLD)
        .exclude(
            experiment_id__in=SrmAcknowledgement.objects.values("experiment_id"),
        )
        .filter(look=Subquery(latest.values("look")[:1]))
        .values("experiment_id")
        .annotate(smallest=Min("srm_p_value"))
        .values_list("experiment_id", "smallest")
    )
    return dict(rows)


@register_section(Role.OPERATOR, key="srm", title="Sample ratio mismatches to look at")
def sample_ratio_mismatches(user, period: Period) -> list[dict]:
    """Their live experiments whose split is off at the latest look, not yet acknowledged."""
    live = dict(
        experiment_list_for_user(user=user)
        .filter(owner=user, status__in=LIVE)
        .values_list("pk", "name")
    )
    flagged = unacknowledged_mismatches(list(live))
    return [
        {
            "experiment": experiment_id,
            "name": live[experiment_id],
            "srm_p_value": p_value,
            "text": f"{live[experiment_id]}: the split is off the plan (p = {p_value:.2g}); "
            "the reading stays hidden until you acknowledge it",
            "path": _experiment_path(experiment_id),
        }
        for experiment_id, p_value in sorted(flagged.items(), key=lambda pair: pair[1])[:LIMIT]
    ]


@register_section(Role.OPERATOR, key="guardrails", title="Guardrail alerts")
def guardrail_alerts(user, period: Period) -> list[dict]:
    """Guardrail metrics significantly worse, raised this period on their experiments."""
    alerts = (
        Alert.objects.filter(
            kind=Alert.Kind.GUARDRAIL,
            experiment__owner=user,
            raised_at__gt=period.since,
            raised_at__lte=period.until,
        )
        .select_related("experiment", "metric")
        .order_by("-raised_at", "-pk")[:LIMIT]
    )
    return [_alert_item(alert) for alert in alerts]


def _alert_item(alert: Alert) -> dict:
    return {
        "alert": alert.pk,
        "kind": alert.kind,
        "experiment": alert.experiment_id,
        "name": alert.experiment.name,
        "metric": alert.metric.key if alert.metric_id else None,
        "raised_at": alert.raised_at,
        "text": f"{alert.experiment.name}: {alert.message}",
        "path": _experiment_path(alert.experiment_id),
    }


# --- Marketer ---------------------------------------------------------------------------------

_EXPERIMENT_NEWS = {
    ExperimentStatus.RUNNING: "started",
    ExperimentStatus.CONCLUDED: "was decided",
    ExperimentStatus.KILLED: "was stopped",
}


@register_section(Role.MARKETER, key="ideas", title="What became of your ideas")
def ideas_news(user, period: Period) -> list[dict]:
    """Their hypotheses triaged this period (to the backlog or rejected), and experiments built
    on them that started, were decided or were stopped this period."""
    window = {"__gt": period.since, "__lte": period.until}
    triaged = (
        Hypothesis.objects.filter(author=user, **{f"triaged_at{k}": v for k, v in window.items()})
        .exclude(status=Hypothesis.Status.NEW)
        .order_by("-triaged_at", "-pk")[:LIMIT]
    )
    items = [
        {
            "hypothesis": idea.pk,
            "title": idea.title,
            "status": idea.status,
            "at": idea.triaged_at,
            "text": f"“{idea.title}”: {idea.get_status_display().lower()}",
            "path": reverse("experiments:hypothesis-detail", args=[idea.pk]),
        }
        for idea in triaged
    ]
    changes = (
        StatusChange.objects.filter(
            experiment__hypothesis__author=user,
            to_status__in=list(_EXPERIMENT_NEWS),
            **{f"created_at{k}": v for k, v in window.items()},
        )
        .exclude(to_status=ExperimentStatus.RUNNING, from_status=ExperimentStatus.PAUSED)
        .select_related("experiment__hypothesis")
        .order_by("-created_at", "-pk")[:LIMIT]
    )
    for change in changes:
        experiment = change.experiment
        news = _EXPERIMENT_NEWS[change.to_status]
        if change.to_status == ExperimentStatus.CONCLUDED and experiment.decision:
            news += f": {experiment.get_decision_display().lower()}"
        items.append(
            {
                "hypothesis": experiment.hypothesis_id,
                "title": experiment.hypothesis.title,
                "experiment": experiment.pk,
                "status": change.to_status,
                "at": change.created_at,
                "text": f"“{experiment.hypothesis.title}”: the experiment {experiment.name} {news}",
                "path": _experiment_path(experiment.pk),
            }
        )
    items.sort(key=lambda item: item["at"], reverse=True)
    return items[:LIMIT]


# --- Analyst ----------------------------------------------------------------------------------

_DATA_PROBLEMS = [Alert.Kind.SRM, Alert.Kind.GUARDRAIL]


@register_section(Role.ANALYST, key="refreshes", title="Results behind their data")
def failed_refreshes(user, period: Period) -> list[dict]:
    """Live experiments whose results have waited for an analysis for over an hour: a refresh
    that failed or never ran (the sweep retries every few minutes)."""
    hour_ago = period.until - dt.timedelta(hours=1)
    states = (
        AnalysisState.objects.filter(stale=True, experiment__status__in=LIVE)
        .filter(Q(last_analysed_at__isnull=True) | Q(last_analysed_at__lt=hour_ago))
        .select_related("experiment")
        .order_by("last_analysed_at", "pk")[:LIMIT]
    )
    items = []
    for state in states:
        when = (
            f"last analysed {state.last_analysed_at:%-d %b %H:%M}"
            if state.last_analysed_at
            else "never analysed"
        )
        behind = state.data_version - state.analysed_version
        items.append(
            {
                "experiment": state.experiment_id,
                "name": state.experiment.name,
                "versions_behind": behind,
                "last_analysed_at": state.last_analysed_at,
                "text": f"{state.experiment.name}: {behind} data change(s) not analysed, {when}",
                "path": _experiment_path(state.experiment_id),
            }
        )
    return items


@register_section(Role.ANALYST, key="data_problems", title="Data problems")
def data_problems(user, period: Period) -> list[dict]:
    """Sample-ratio and guardrail alerts raised this period, on any experiment."""
    alerts = (
        Alert.objects.filter(
            kind__in=_DATA_PROBLEMS, raised_at__gt=period.since, raised_at__lte=period.until
        )
        .select_related("experiment", "metric")
        .order_by("-raised_at", "-pk")[:LIMIT]
    )
    return [_alert_item(alert) for alert in alerts]


@register_section(Role.ANALYST, key="new_results", title="New results")
def new_results(user, period: Period) -> list[dict]:
    """Experiments with looks computed this period: how many, and the latest."""
    rows = (
        Result.objects.filter(computed_at__gt=period.since, computed_at__lte=period.until)
        .values("experiment_id", "experiment__name")
        .annotate(looks=Count("look", distinct=True), latest=Max("look"), at=Max("computed_at"))
        .order_by("-at", "experiment_id")[:LIMIT]
    )
    return [
        {
            "experiment": row["experiment_id"],
            "name": row["experiment__name"],
            "looks": row["looks"],
            "latest_look": row["latest"],
            "text": f"{row['experiment__name']}: {row['looks']} new look(s), the latest #"
            f"{row['latest']}",
            "path": _experiment_path(row["experiment_id"]),
        }
        for row in rows
    ]
