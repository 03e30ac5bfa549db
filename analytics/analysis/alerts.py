"""Alerts, each raised once per condition: SRM, sample size reached, a guardrail significantly
worse, a running experiment past its planned duration. An alert becomes an in-app
notification for the owner and every CMO, and an e-mail sent after commit.

An alert resolves itself when its cause ends, with the time (``resolved_at``): the split
matches the plan again or someone acknowledged the mismatch, the guardrail recovered, the
test was completed ("it can be completed", "overdue") or decided (every alert that asked for
a decision). A resolved alert leaves the open lists and counts and stays in the history; if
its condition comes back while the test still takes data, the same alert opens again."""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from experiments.decisions import days_running
from experiments.design import experiment_design
from experiments.hooks import Change
from experiments.models import ACCEPTS_DATA, LIVE, Experiment, ExperimentStatus
from roles.models import Role, User

from ..models import Alert, Notification, SrmAcknowledgement
from ..stats import is_significant

log = logging.getLogger(__name__)

# "It can be completed" and "a guardrail is worse" ask for a decision; once the experiment is
# decided (concluded or killed) there is none left to take, and a completed one has nothing
# more to complete.
SAMPLE_ALERT_STATUSES = LIVE
GUARDRAIL_ALERT_STATUSES = ACCEPTS_DATA

K = Alert.Kind
ASKS_FOR_A_DECISION = {K.SRM, K.SAMPLE_REACHED, K.GUARDRAIL, K.OVERDUE, K.DECISION_OVERDUE}
# The alerts whose cause a step ends. A shipped winner fading is raised after the decision and
# stays until it is looked at again.
ENDED_BY = {
    "complete": {K.SAMPLE_REACHED, K.OVERDUE},
    "conclude": ASKS_FOR_A_DECISION,
    "kill": ASKS_FOR_A_DECISION,
    "srm_acknowledged": {K.SRM},
}


def raise_alert(experiment: Experiment, kind: str, message: str, metric=None) -> Alert | None:
    """Create the alert and its notifications unless it was raised before. Returns it if new."""
    try:
        with transaction.atomic():  # a savepoint: a concurrent duplicate just loses the race
            alert = Alert.objects.create(
                experiment=experiment, kind=kind, metric=metric, message=message
            )
    except IntegrityError:
        return None
    recipients = {experiment.owner_id: experiment.owner}
    recipients.update({u.pk: u for u in User.objects.filter(role=Role.CMO, is_active=True)})
    Notification.objects.bulk_create(
        [Notification(recipient=u, alert=alert) for u in recipients.values()]
    )
    emails = [u.email for u in recipients.values() if u.email]
    if emails:
        subject = f"[GrowthOps] {alert.get_kind_display()}: {experiment.name}"
        transaction.on_commit(lambda: _send(subject, message, emails))
    return alert


def _send(subject: str, body: str, emails: list[str]) -> None:
    try:
        send_mass_mail([(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in emails])
    except Exception:  # the in-app notification is already stored; mail is best effort
        log.warning("Could not e-mail alert %r", subject, exc_info=True)


def _existing(experiment_ids) -> set[tuple]:
    return set(
        Alert.objects.filter(experiment_id__in=experiment_ids).values_list(
            "experiment_id", "kind", "metric_id"
        )
    )


def alerts_resolve(alerts) -> int:
    """Mark the open ones of ``alerts`` (a queryset) resolved now; returns how many."""
    return alerts.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())


def alerts_after_change(change: Change) -> int:
    """Resolve the alerts whose cause the change ended (a listener of ``experiments.hooks``,
    run inside the step's or the acknowledgement's transaction)."""
    kinds = ENDED_BY.get(change.cause)
    if not kinds:
        return 0
    return alerts_resolve(
        Alert.objects.filter(experiment_id__in=change.experiment_ids, kind__in=kinds)
    )


def _reopen(alert_key: tuple) -> bool:
    """Open a resolved alert again (its condition came back): unread for everyone it reached."""
    experiment_id, kind, metric_id = alert_key
    alert = Alert.objects.filter(
        experiment_id=experiment_id, kind=kind, metric_id=metric_id, resolved_at__isnull=False
    ).first()
    if alert is None:
        return False
    Alert.objects.filter(pk=alert.pk).update(resolved_at=None)
    Notification.objects.filter(alert=alert).update(read_at=None)
    return True


def _resolve_recovered(
    srm_now: dict[int, bool], guardrails_worse: dict[tuple, bool], open_now: set[tuple]
) -> int:
    """At the look just stored: a split that matches the plan again ends its SRM alert, a
    guardrail no longer significantly worse ends its guardrail alert (``open_now``: the keys
    of the open alerts, so nothing is written when nothing recovered)."""
    matched = [e for e, flagged in srm_now.items() if not flagged and (e, K.SRM, None) in open_now]
    recovered = [
        (e, m)
        for (e, m), worse in guardrails_worse.items()
        if not worse and (e, K.GUARDRAIL, m) in open_now
    ]
    resolved = 0
    if matched:
        resolved += alerts_resolve(Alert.objects.filter(experiment_id__in=matched, kind=K.SRM))
    for experiment_id, metric_id in recovered:
        resolved += alerts_resolve(
            Alert.objects.filter(experiment_id=experiment_id, kind=K.GUARDRAIL, metric_id=metric_id)
        )
    return resolved


def _alert_state(experiment_ids) -> tuple[set[tuple], set[tuple], set[int]]:
    """The keys of the experiments' alerts, of those still open, and the experiments whose
    mismatch was acknowledged (two queries)."""
    resolved_at = {
        (e, kind, m): at
        for e, kind, m, at in Alert.objects.filter(experiment_id__in=experiment_ids).values_list(
            "experiment_id", "kind", "metric_id", "resolved_at"
        )
    }
    acknowledged = SrmAcknowledgement.objects.filter(experiment_id__in=experiment_ids)
    return (
        set(resolved_at),
        {key for key, at in resolved_at.items() if at is None},
        set(acknowledged.values_list("experiment_id", flat=True)),
    )


def raise_result_alerts(families, responses) -> int:
    """Check fresh results for SRM, sample size reached and guardrails; returns alerts raised."""
    existing, open_now, acknowledged = _alert_state({f.experiment.pk for f in families})
    srm_now: dict[int, bool] = {}
    guardrails_worse: dict[tuple, bool] = {}
    raised = 0

    def once(experiment, kind, message, metric=None):
        nonlocal raised
        key = (experiment.pk, kind, metric.pk if metric else None)
        if key in open_now:
            return
        open_now.add(key)
        if key in existing:  # resolved before: its condition is back
            raised += _reopen(key)
            return
        existing.add(key)
        raised += raise_alert(experiment, kind, message, metric) is not None

    for family, response in zip(families, responses, strict=True):
        experiment, metric = family.experiment, family.metric
        srm_now[experiment.pk] = srm_now.get(experiment.pk, False) or response["srm_detected"]
        # An acknowledged mismatch, or one in a decided test, is over; a new look does not
        # bring it back.
        srm_matters = experiment.status in ACCEPTS_DATA and experiment.pk not in acknowledged
        if response["srm_detected"] and (
            srm_matters or (experiment.pk, K.SRM, None) not in existing
        ):
            once(
                experiment,
                Alert.Kind.SRM,
                f"Sample ratio mismatch in “{experiment.name}” (p = {response['srm_p_value']:.2g} on "
                f"{metric.name}): traffic does not match the planned split; check assignment before trusting results.",
            )
        if (
            metric.pk == experiment.deciding_metric_id
            and experiment.status in SAMPLE_ALERT_STATUSES
        ):
            design = experiment_design(experiment)
            smallest = min(v["users"] for v in response["variants"])
            if design is not None and smallest >= design.sample_size_per_variant:
                once(
                    experiment,
                    Alert.Kind.SAMPLE_REACHED,
                    f"“{experiment.name}” reached its required sample ({design.sample_size_per_variant:,} "
                    f"users per variant); it can be completed.",
                )
        if experiment.status in GUARDRAIL_ALERT_STATUSES and any(
            g.pk == metric.pk for g in experiment.guardrail_metrics.all()
        ):
            worse = [
                v["name"]
                for v in response["variants"][1:]
                if _significant(experiment, v)
                and v["diff"] is not None
                and (v["diff"] < 0 if metric.higher_is_better else v["diff"] > 0)
            ]
            guardrails_worse[(experiment.pk, metric.pk)] = bool(worse)
            if worse:
                once(
                    experiment,
                    Alert.Kind.GUARDRAIL,
                    f"Guardrail “{metric.name}” is significantly worse in {', '.join(worse)} of “{experiment.name}”.",
                    metric,
                )
    _resolve_recovered(srm_now, guardrails_worse, open_now)
    return raised


def _significant(experiment, variant: dict) -> bool:
    return is_significant(
        method=experiment.method,
        alpha=experiment.alpha,
        p_value_adjusted=variant["p_value_adjusted"],
        sequential_p_value=variant["sequential_p_value"],
        chance_to_beat_control=variant["chance_to_beat_control"],
    )


def raise_overdue_alerts(today: dt.date | None = None) -> int:
    """Running experiments past their planned duration (start date + design duration)."""
    today = today or timezone.localdate()
    running = (
        Experiment.objects.filter(status=ExperimentStatus.RUNNING, start_date__isnull=False)
        .select_related("primary_metric", "owner")
        .prefetch_related("variants")
    )
    existing = _existing(running.values_list("pk", flat=True))
    raised = 0
    for experiment in running:
        if (experiment.pk, Alert.Kind.OVERDUE, None) in existing:
            continue
        design = experiment_design(experiment)
        if design is None:
            continue
        due = experiment.start_date + dt.timedelta(days=design.duration_days)
        if today > due:
            message = (
                f"“{experiment.name}” was planned for {design.duration_days} days and is on day "
                f"{days_running(experiment, today=today)}; complete it or say why it continues."
            )
            raised += raise_alert(experiment, Alert.Kind.OVERDUE, message) is not None
    return raised


def decision_deadline(today: dt.date) -> dt.datetime:
    """A completed experiment whose ``complete`` step is older than this waits past the
    deadline: completed more than ``DECISION_SLA_DAYS`` whole days before ``today``."""
    return timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=settings.DECISION_SLA_DAYS), dt.time.min)
    )


def raise_decision_overdue_alerts(today: dt.date | None = None) -> int:
    """Completed experiments whose decision waits past :func:`decision_deadline`."""
    today = today or timezone.localdate()
    deadline = decision_deadline(today)
    waiting = (
        Experiment.objects.filter(status=ExperimentStatus.COMPLETED)
        .annotate(
            completed_at=Max(
                "status_changes__created_at", filter=Q(status_changes__step="complete")
            )
        )
        .filter(completed_at__lt=deadline)
        .exclude(alerts__kind=Alert.Kind.DECISION_OVERDUE)
        .select_related("owner")
    )
    raised = 0
    for experiment in waiting:
        waited = (today - timezone.localdate(experiment.completed_at)).days
        message = (
            f"“{experiment.name}” was completed {waited} days ago with a recommendation to "
            f"{experiment.recommendation or 'decide'}; its decision is past the "
            f"{settings.DECISION_SLA_DAYS}-day deadline."
        )
        raised += raise_alert(experiment, Alert.Kind.DECISION_OVERDUE, message) is not None
    return raised
