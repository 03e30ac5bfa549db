"""Sample-ratio mismatch on the results: what is flagged, who acknowledged it, and the rule
that completing over an unacknowledged mismatch needs a confirmation (docs/statistics.md, SRM).

The SRM test itself is the engine's (``analytics.stats.srm_test``); each result snapshot keeps
its p-value. What counts is the experiment's latest look: a split that recovered is no longer
flagged.
"""

from django.db import transaction
from django.db.models import Subquery

from analytics.stats import SRM_THRESHOLD
from experiments.hooks import experiments_changed
from experiments.models import Experiment
from growthops.errors import ValidationFailed
from roles.capabilities import require

from .models import Result, SrmAcknowledgement


def most_mismatched(results) -> Result | None:
    """Of snapshots already read, the most mismatched one of the newest look, if flagged."""
    newest = max((r.look for r in results), default=None)
    flagged = [r for r in results if r.look == newest and r.srm_detected]
    return min(flagged, key=lambda r: r.srm_p_value, default=None)


def srm_at_latest_look(experiment_id: int) -> Result | None:
    """The most mismatched snapshot of the experiment's latest look, or None if the split
    matches the plan there (one query)."""
    latest = Result.objects.filter(experiment_id=experiment_id).order_by("-look")
    return (
        Result.objects.filter(
            experiment_id=experiment_id,
            look=Subquery(latest.values("look")[:1]),
            srm_p_value__lt=SRM_THRESHOLD,
        )
        .order_by("srm_p_value")
        .first()
    )


def unacknowledged_srm(experiment_id: int) -> Result | None:
    """The mismatch that still hides the reading: flagged at the latest look and not yet
    acknowledged by anyone."""
    if SrmAcknowledgement.objects.filter(experiment_id=experiment_id).exists():
        return None
    return srm_at_latest_look(experiment_id)


def unacknowledged_mismatches(results_by_experiment: dict[int, list[Result]]) -> dict[int, float]:
    """:func:`unacknowledged_srm` for many experiments whose newest snapshots are already read
    (the experiment list, the verdicts): the SRM p-value of each one mismatched and not
    acknowledged, by id (one query, and only when one is mismatched)."""
    mismatched = {}
    for experiment_id, results in results_by_experiment.items():
        worst = most_mismatched(results)
        if worst is not None:
            mismatched[experiment_id] = worst.srm_p_value
    if mismatched:
        acknowledged = SrmAcknowledgement.objects.filter(experiment_id__in=mismatched)
        for experiment_id in acknowledged.values_list("experiment_id", flat=True):
            del mismatched[experiment_id]
    return mismatched


def srm_acknowledge(*, experiment_id: int, actor, note: str = "") -> SrmAcknowledgement:
    """Record that ``actor`` saw the mismatch and reads on; repeating it is a no-op."""
    with transaction.atomic():
        # Lock the experiment: two people acknowledging at once write one row.
        experiment = Experiment.objects.select_for_update().get(pk=experiment_id)
        require(actor, "results.acknowledge_srm", experiment)
        existing = SrmAcknowledgement.objects.filter(experiment=experiment).first()
        if existing is not None:
            return existing
        mismatch = srm_at_latest_look(experiment.pk)
        if mismatch is None:
            raise ValidationFailed({"srm": "There is no sample-ratio mismatch to acknowledge."})
        acknowledgement = SrmAcknowledgement.objects.create(
            experiment=experiment,
            look=mismatch.look,
            srm_p_value=mismatch.srm_p_value,
            acknowledged_by=actor,
            note=note.strip(),
        )
        experiments_changed([experiment.pk], cause="srm_acknowledged")  # resolves its alert
        return acknowledgement


def srm_confirmation_problems(experiment: Experiment, given) -> dict[str, str]:
    """The ``complete`` step's extra check: over an unacknowledged mismatch, only when the
    actor confirmed (``confirm_srm`` = "yes")."""
    if given["confirm_srm"] == "yes":
        return {}
    mismatch = unacknowledged_srm(experiment.pk)
    if mismatch is None:
        return {}
    return {
        "confirm_srm": (
            "The users per variant do not match the planned split "
            f"(SRM p = {mismatch.srm_p_value:.2g}) and nobody has acknowledged it: "
            "confirm to complete anyway."
        )
    }
