"""What the upload panel explains before the first try: this experiment's metric keys beside
their names and kinds, its variant keys, an example row, and a template CSV filled with them.
"""

import csv
import io
from dataclasses import dataclass, field

from experiments.models import Experiment, Metric
from experiments.selectors import experiment_metrics

from .dimensions import known_dimensions
from .ingest.observations import CSV_HEADER, data_window


@dataclass(frozen=True)
class GuideMetric:
    key: str
    name: str
    kind: str  # its label: "Conversion (binomial)" …
    role: str  # primary / secondary / guardrail
    columns: str  # what its rows fill in


@dataclass(frozen=True)
class UploadGuide:
    metrics: list[GuideMetric]
    variants: list[tuple[str, str, bool]]  # key, name, is control
    header: list[str]
    example: dict[str, str]  # one row, as it would be typed
    first_day: object  # the days that may hold data (None before the start)
    last_day: object
    dimensions: list[str] = field(default_factory=list)  # what a slice's row may name


COLUMNS = {
    Metric.Kind.BINOMIAL: "users, conversions",
    Metric.Kind.MEAN: "users, sum, sum_squares (of the value per user)",
}


def upload_guide(experiment: Experiment) -> UploadGuide:
    metrics = experiment_metrics(experiment)
    roles = _roles(experiment)
    guide_metrics = [
        GuideMetric(
            key=key,
            name=metric.name,
            kind=Metric.Kind(metric.kind).label,
            role=roles.get(metric.pk, "secondary"),
            columns=COLUMNS[metric.kind],
        )
        for key, metric in sorted(metrics.items(), key=lambda kv: _role_order(roles, kv[1]))
    ]
    variants = [
        (v.key, v.name, v.is_control)
        for v in sorted(experiment.variants.all(), key=lambda v: (not v.is_control, v.key))
    ]
    first_day, last_day = data_window(experiment)
    return UploadGuide(
        metrics=guide_metrics,
        variants=variants,
        header=list(CSV_HEADER),
        example=_example(guide_metrics, variants, last_day),
        first_day=first_day,
        last_day=last_day,
        dimensions=known_dimensions(),
    )


def _roles(experiment: Experiment) -> dict[int, str]:
    roles = {m.pk: "guardrail" for m in experiment.guardrail_metrics.all()}
    roles[experiment.primary_metric_id] = "primary"
    return roles


def _role_order(roles, metric):
    return (
        {"primary": 0, "secondary": 1, "guardrail": 2}[roles.get(metric.pk, "secondary")],
        metric.key,
    )


def _example(metrics, variants, day) -> dict[str, str]:
    """A plausible row for the first metric and the control: a shape to copy, not data."""
    if not metrics or not variants:
        return {}
    metric = metrics[0]
    row = {
        "date": day.isoformat(),
        "variant": variants[0][0],
        "metric": metric.key,
        "users": "1000",
    }
    if metric.columns == COLUMNS[Metric.Kind.BINOMIAL]:
        row.update(conversions="48", sum="", sum_squares="")
    else:  # 1,000 users with a mean of 25 and a standard deviation of 10
        row.update(conversions="", sum="25000", sum_squares="725000")
    return row


def template_csv(experiment: Experiment) -> str:
    """The header and one row per metric × variant for the latest day data may hold, the
    numbers left for the person to fill in (uploaded as it is, it is refused: nothing is
    written)."""
    guide = upload_guide(experiment)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(guide.header)
    for metric in guide.metrics:
        for key, _, _ in guide.variants:
            writer.writerow([guide.last_day.isoformat(), key, metric.key, "", "", "", ""])
    return out.getvalue()
