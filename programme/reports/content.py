"""What a board pack says: the programme's figures over one period, as plain JSON-ready data.

Everything is read from what the programme already keeps (the objective ledger's roll-ups, the
shrunk lifts, the stored insights, the timeline), so the pack says what the pages say. Charts
are the pages' own figures, stored as their JSON specs.
"""

import datetime as dt
import json

import plotly.io as pio
from django.db.models import Q

from analytics.charts import Chart
from experiments.models import (
    IN_FLIGHT,
    Experiment,
    ExperimentStatus,
    Objective,
    StatusChange,
    Step,
)

from ..charts.dashboard import objective_progress_chart
from ..charts.insights import insight_charts
from ..insights.run import insight_report
from ..portfolio.selectors import objective_history, objective_ledgers, whole_newest_rows
from ..portfolio.shrinkage import lifts_that_count, programme_shrinkage
from ..portfolio.standing import measured_history, objective_standing

# The insights a pack quotes, with the charts of theirs it shows.
QUOTED_INSIGHTS = ("false-wins", "partners")


def board_pack_content(start: dt.date, end: dt.date, *, progress=None) -> dict:
    """The pack for the days ``start`` to ``end`` (both included). ``progress(done, total)``
    is told after each part."""
    parts = [
        ("objectives", _objectives),
        ("decisions", _decisions),
        ("overrides", _overrides),
        ("insights", _insights),
        ("in_flight", _in_flight),
    ]
    content = {"period_start": start.isoformat(), "period_end": end.isoformat()}
    for done, (key, read) in enumerate(parts, start=1):
        content[key] = read(start, end)
        if progress:
            progress(done, len(parts))
    return content


def _figure(chart: Chart) -> dict:
    """A chart as stored: its id, caption and figure spec (JSON, as a page would send it)."""
    return {
        "dom_id": chart.dom_id,
        "caption": chart.caption,
        "figure": json.loads(pio.to_json(chart.figure, validate=False)),
    }


def _objectives(start: dt.date, end: dt.date) -> list[dict]:
    objectives = list(Objective.objects.filter(status=Objective.Status.ACTIVE))
    # The ledger and the measured KPI as they stood at the period's end: rows up to that day.
    upto = _until(objective_history(objectives), end)
    whole_newest_rows(upto)  # the ledger reads every figure of the period's last row
    measured = _until(measured_history(objectives), end)
    ledgers = objective_ledgers(objectives, upto)
    out = []
    for objective in objectives:
        ledger = ledgers[objective.pk]
        standing = objective_standing(objective, ledger=ledger, measured=measured[objective.pk])
        chart = objective_progress_chart(
            objective, upto[objective.pk], measured=measured[objective.pk]
        )
        out.append(
            {
                **{k: v for k, v in ledger.items() if k != "computed_on"},
                "target_date": objective.target_date.isoformat(),
                "as_of": ledger["computed_on"].isoformat() if ledger["computed_on"] else None,
                "figures": {
                    name: _shown(standing[name])
                    for name in ("measured", "estimated", "estimated_shrunk", "forecast")
                },
                "unexplained_movement": _shown(standing["unexplained_movement"]),
                "forecast_reading": standing["forecast_explained"]["reading"],
                "chart": _figure(chart),
            }
        )
    return out


def _until(history: dict[int, list[tuple]], end: dt.date) -> dict[int, list[tuple]]:
    return {pk: [row for row in rows if row[0] <= end] for pk, rows in history.items()}


def _shown(figure: dict) -> dict:
    """A standing figure as stored: its text in the objective's unit and its day."""
    as_of = figure["as_of"]
    return {
        "value": figure["value"],
        "display": figure["display"],
        "as_of": as_of.isoformat() if as_of else None,
    }


def _decided_in(start: dt.date, end: dt.date, step: str):
    """Ids of the experiments whose ``step`` (conclude or kill) was taken in the period."""
    return StatusChange.objects.filter(
        step=step, created_at__date__gte=start, created_at__date__lte=end
    ).values("experiment_id")


def _decisions(start: dt.date, end: dt.date) -> dict:
    concluded = list(
        Experiment.objects.filter(
            pk__in=_decided_in(start, end, Step.CONCLUDE), status=ExperimentStatus.CONCLUDED
        )
        .select_related("objective")
        .order_by("name")
    )
    killed = Experiment.objects.filter(
        pk__in=_decided_in(start, end, Step.KILL), status=ExperimentStatus.KILLED
    ).order_by("name")
    lifts = {row["experiment_id"]: row for row in lifts_that_count([e.pk for e in concluded])}
    shrunk = programme_shrinkage().lifts
    rows = []
    for experiment in concluded:
        lift = lifts.get(experiment.pk)
        rows.append(
            {
                "id": experiment.pk,
                "name": experiment.name,
                "objective": experiment.objective.name if experiment.objective else None,
                "outcome": experiment.outcome,
                "decision": experiment.decision,
                "improvement": lift["improvement"] if lift else None,
                "improvement_low": lift["improvement_low"] if lift else None,
                "improvement_high": lift["improvement_high"] if lift else None,
                "shrunk": shrunk[experiment.pk].shrunk if experiment.pk in shrunk else None,
                "learnings": experiment.learnings,
            }
        )
    return {
        "concluded": rows,
        "won": sum(row["outcome"] == "won" for row in rows),
        "lost": sum(row["outcome"] == "lost" for row in rows),
        "inconclusive": sum(row["outcome"] == "inconclusive" for row in rows),
        "killed": [
            {
                "id": e.pk,
                "name": e.name,
                "reason": e.get_kill_reason_display(),
                "note": e.kill_note,
            }
            for e in killed
        ],
    }


def _overrides(start: dt.date, end: dt.date) -> list[dict]:
    """Calls made against the plan or the verdict in the period, with the reason given."""
    calls = (
        StatusChange.objects.filter(created_at__date__gte=start, created_at__date__lte=end)
        .filter(~Q(override_reason=""))
        .select_related("experiment", "actor")
        .order_by("created_at", "id")
    )
    return [
        {
            "experiment": call.experiment.name,
            "experiment_id": call.experiment_id,
            "step": call.get_step_display(),
            "against": list(call.overridden),
            "reason": call.override_reason,
            "by": call.actor.get_full_name() or call.actor.get_username(),
            "on": call.created_at.date().isoformat(),
        }
        for call in calls
    ]


def _insights(start: dt.date, end: dt.date) -> dict:
    """The stored false-win and partner insights as they stand now (they look at the whole
    programme, not one period), with their readings and charts."""
    quoted = {}
    for name in QUOTED_INSIGHTS:
        report = insight_report(name)
        quoted[name] = {
            "computed_at": report.computed_at.isoformat(),
            "reading": report.data.get("reading", ""),
            "data": report.data,
            "charts": [_figure(chart) for chart in insight_charts(name, report.data)],
        }
    return quoted


def _in_flight(start: dt.date, end: dt.date) -> dict:
    experiments = Experiment.objects.filter(status__in=IN_FLIGHT)
    by_status = {
        ExperimentStatus(status).label: experiments.filter(status=status).count()
        for status in IN_FLIGHT
    }
    running = experiments.filter(status=ExperimentStatus.RUNNING).order_by("start_date", "name")
    return {
        "by_status": by_status,
        "running": [
            {
                "id": e.pk,
                "name": e.name,
                "started": e.start_date.isoformat() if e.start_date else None,
                "planned_end": e.end_date.isoformat() if e.end_date else None,
            }
            for e in running[:50]
        ],
        "running_total": running.count(),
    }
