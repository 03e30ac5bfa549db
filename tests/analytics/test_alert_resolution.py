"""Alerts resolve themselves when their cause ends, with the time; resolved alerts leave the
open lists and counts and stay in the history (analytics/analysis/alerts.py)."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.analysis.alerts import raise_decision_overdue_alerts, raise_overdue_alerts
from analytics.analysis.pipeline import experiments_analyse
from analytics.ingest.observations import observations_ingest
from analytics.models import Alert, Notification
from analytics.results import experiment_results_panel
from analytics.selectors import unread_notifications
from analytics.srm import srm_acknowledge
from experiments import lifecycle
from experiments.design import experiment_design
from experiments.models import StatusChange
from tests.analytics.helpers import START, binomial_rows, running_experiment
from tests.factories import MetricFactory

pytestmark = pytest.mark.django_db


def analysed(experiment, analyst, rows):
    observations_ingest(experiment_id=experiment.pk, actor=analyst, rows=rows)
    experiments_analyse([experiment.pk])


def mismatched(operator, analyst):
    experiment = running_experiment(operator)
    analysed(experiment, analyst, binomial_rows(control=(1000, 100), treatment=(1300, 130)))
    return experiment


def test_an_acknowledged_mismatch_resolves_its_alert_and_leaves_the_counts(
    client, operator, analyst, cmo
):
    experiment = mismatched(operator, analyst)
    alert = Alert.objects.get(kind="srm")
    assert alert.resolved_at is None
    assert unread_notifications(user=cmo).count() == 1
    before = timezone.now()

    srm_acknowledge(experiment_id=experiment.pk, actor=operator, note="Bot traffic in B.")

    alert.refresh_from_db()
    assert before <= alert.resolved_at <= timezone.now()
    assert unread_notifications(user=cmo).count() == 0
    assert Notification.objects.filter(alert=alert).count() == 2  # history kept
    # A later look with the same mismatch does not bring back what was acknowledged.
    analysed(experiment, analyst, binomial_rows("2026-11-03", (1000, 100), (1300, 130)))
    alert.refresh_from_db()
    assert alert.resolved_at is not None

    client.force_login(cmo)
    page = client.get("/notifications/")
    assert page.context["unread_notifications"] == 0
    assert list(page.context["notifications"]) == []
    assert [n.alert for n in page.context["resolved"]] == [alert]
    assert 'id="resolved-notifications"' in page.content.decode()


def test_a_split_that_matches_again_resolves_the_alert(operator, analyst):
    experiment = mismatched(operator, analyst)
    # Many more days on plan: the cumulative split no longer differs from 50/50.
    for day in range(3, 28):
        observations_ingest(
            experiment_id=experiment.pk,
            actor=analyst,
            rows=binomial_rows(f"2026-11-{day:02d}", (5000, 500), (5000, 500)),
        )
    experiments_analyse([experiment.pk])
    assert Alert.objects.get(kind="srm").resolved_at is not None


def test_a_guardrail_that_recovers_resolves_and_one_that_worsens_again_reopens(
    operator, analyst, cmo
):
    unsubscribes = MetricFactory(key="unsubscribes", kind="binomial", direction="lower")
    experiment = running_experiment(operator)
    experiment.guardrail_metrics.add(unsubscribes)
    analysed(
        experiment,
        analyst,
        binomial_rows(control=(5000, 50), treatment=(5000, 120), metric="unsubscribes"),
    )
    alert = Alert.objects.get(kind="guardrail")
    Notification.objects.filter(alert=alert).update(read_at=timezone.now())

    # The treatment's later days are better than control's: cumulatively no longer worse.
    analysed(
        experiment,
        analyst,
        binomial_rows("2026-11-03", (5000, 120), (5000, 50), metric="unsubscribes"),
    )
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    assert unread_notifications(user=cmo).count() == 0

    analysed(
        experiment,
        analyst,
        binomial_rows("2026-11-04", (20000, 100), (20000, 400), metric="unsubscribes"),
    )
    alert.refresh_from_db()
    assert alert.resolved_at is None
    assert Alert.objects.filter(kind="guardrail").count() == 1  # the same alert, opened again
    assert unread_notifications(user=cmo).count() == 1


def test_completing_ends_sample_reached_and_overdue(operator, analyst):
    experiment = running_experiment(operator, baseline=0.1, mde=0.5, daily_traffic=1000)
    needed = experiment_design(experiment).sample_size_per_variant
    analysed(experiment, analyst, binomial_rows(control=(needed, 100), treatment=(needed, 110)))
    raise_overdue_alerts(today=START + dt.timedelta(days=400))
    assert set(Alert.objects.values_list("kind", "resolved_at")) == {
        ("sample_reached", None),
        ("overdue", None),
    }
    planned = experiment_design(experiment).duration_days
    assert Alert.objects.get(kind="overdue").message == (
        f"“{experiment.name}” was planned for {planned} days and is on day 401; complete it or "
        "say why it continues."
    )
    lifecycle.experiment_complete(
        experiment_id=experiment.pk, actor=operator, analysis="Flat.", recommendation="abandon"
    )
    assert not Alert.objects.filter(resolved_at__isnull=True).exists()
    completed_at = StatusChange.objects.get(step="complete").created_at
    assert all(at >= completed_at for at in Alert.objects.values_list("resolved_at", flat=True))


def test_a_decision_ends_the_alerts_that_asked_for_one(operator, analyst, cmo):
    experiment = mismatched(operator, analyst)
    lifecycle.experiment_complete(
        experiment_id=experiment.pk,
        actor=operator,
        analysis="Flat.",
        recommendation="abandon",
        confirm_srm=True,
        override_reason="Stopping: the split is broken.",
    )
    StatusChange.objects.filter(step="complete").update(
        created_at=timezone.now() - dt.timedelta(days=30)
    )
    assert raise_decision_overdue_alerts() == 1
    assert Alert.objects.filter(resolved_at__isnull=True).count() == 2  # SRM, decision overdue
    panel = experiment_results_panel(experiment, user=cmo)
    assert [a.kind for a in panel["alerts"]] == ["decision_overdue"]  # the SRM has its banner

    lifecycle.experiment_conclude(
        experiment_id=experiment.pk,
        actor=cmo,
        decision="abandon",
        outcome="inconclusive",
        learnings="Fix assignment first.",
        override_reason="The split was broken.",
    )
    assert not Alert.objects.filter(resolved_at__isnull=True).exists()
    assert experiment_results_panel(experiment, user=cmo)["alerts"] == []
    assert unread_notifications(user=cmo).count() == 0


def test_the_api_tells_open_from_resolved(operator, analyst, cmo):
    experiment = mismatched(operator, analyst)
    srm_acknowledge(experiment_id=experiment.pk, actor=operator)
    api = APIClient()
    api.force_authenticate(cmo)
    body = api.get("/api/v1/notifications/").json()
    assert body["results"][0]["resolved_at"] is not None
    assert api.get("/api/v1/notifications/?open=1").json()["results"] == []
    assert len(api.get("/api/v1/notifications/?open=0").json()["results"]) == 1


def test_acknowledging_in_place_moves_the_navbar_count(client, operator, analyst, cmo):
    experiment = mismatched(operator, analyst)
    client.force_login(operator)
    page = client.get(f"/experiments/{experiment.pk}/").content.decode()
    assert 'aria-label="1 unread">1</span>' in page
    response = client.post(
        f"/experiments/{experiment.pk}/srm/acknowledge/",
        {"note": "Bot traffic in B."},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<span id="alerts-count" hx-swap-oob="true"></span>' in html
    assert unread_notifications(user=operator).count() == 0


def test_a_decision_in_the_queue_moves_the_navbar_count(client, operator, analyst, cmo):
    experiment = mismatched(operator, analyst)
    lifecycle.experiment_complete(
        experiment_id=experiment.pk,
        actor=operator,
        analysis="Flat.",
        recommendation="abandon",
        confirm_srm=True,
        override_reason="Stopping: the split is broken.",
    )
    client.force_login(cmo)
    assert 'aria-label="1 unread">1</span>' in client.get("/review/").content.decode()
    response = client.post(
        f"/review/{experiment.pk}/conclude/",
        {
            "expected_status": "completed",
            "decision": "abandon",
            "outcome": "inconclusive",
            "learnings": "Fix assignment first.",
            "override_reason": "The split was broken.",
        },
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert 'data-status="concluded"' in html, html[:500]
    assert '<span id="alerts-count" hx-swap-oob="true"></span>' in html
    assert 'id="decisions-size" data-count="0" hx-swap-oob="true" hidden' in html
