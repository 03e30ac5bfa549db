"""From the rows other apps write (steps, alerts, results) to deliveries, once each."""

import datetime as dt
import json

import pytest
from django.conf import settings
from django.utils import timezone

from analytics.ingest.observations import observations_ingest
from analytics.models import Alert, Result
from experiments.lifecycle import STEP_SERVICES
from experiments.models import StatusChange
from tests.analytics.helpers import binomial_rows, running_experiment
from tests.experiments.helpers import SOURCE_STATUS, STEP_KWARGS, put_in_status
from tests.factories import ExperimentFactory
from webhooks import outbox
from webhooks.models import WebhookCursor, WebhookDelivery
from webhooks.tasks import deliveries_dispatch

from .helpers import endpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_private", "no_backoff")]


def take_step(step, experiment, actor):
    put_in_status(experiment, SOURCE_STATUS[step])
    STEP_SERVICES[step](experiment_id=experiment.pk, actor=actor, **STEP_KWARGS[step])


def test_an_approval_reaches_the_subscribed_endpoint_only(
    receiver, cmo, operator, settings, committed
):
    settings.SITE_URL = "https://growthops.example.com/"
    subscribed = endpoint(receiver, cmo, events=["experiment.approved", "experiment.killed"])
    other = endpoint(receiver, cmo, events=["experiment.killed"])
    experiment = ExperimentFactory(owner=operator, name="Pricing anchor", key="pricing-anchor")
    take_step("approve", experiment, cmo)

    assert committed(deliveries_dispatch) == {"queued": 1}

    [delivery] = WebhookDelivery.objects.all()
    change = StatusChange.objects.get(step="approve")
    assert (delivery.endpoint, delivery.event, delivery.source) == (
        subscribed,
        "experiment.approved",
        f"status_change:{change.pk}",
    )
    assert not other.deliveries.exists()
    [request] = receiver.requests
    body = json.loads(request.body)
    assert body == {
        "event": "experiment.approved",
        "id": delivery.pk,
        "created_at": change.created_at.isoformat(),
        "data": {
            "experiment": {
                "id": experiment.pk,
                "key": "pricing-anchor",
                "name": "Pricing anchor",
                "status": "approved",
                "url": f"https://growthops.example.com/experiments/{experiment.pk}/",
            },
            "step": "approve",
            "from_status": "in_review",
            "to_status": "approved",
            "actor": {"username": "cmo", "name": "Carla"},
            "note": "",
        },
    }
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)


@pytest.mark.parametrize(
    ("step", "event"),
    [
        ("submit", "experiment.submitted"),
        ("approve", "experiment.approved"),
        ("kill", "experiment.killed"),
        ("start", "experiment.started"),
        ("complete", "experiment.completed"),
        ("conclude", "experiment.concluded"),
    ],
)
def test_each_announced_step_makes_its_event(step, event, receiver, cmo, operator, committed):
    endpoint(receiver, cmo, events=[event])
    experiment = ExperimentFactory(owner=operator)
    take_step(step, experiment, operator if step in ("submit", "start", "complete") else cmo)

    committed(deliveries_dispatch)

    assert list(WebhookDelivery.objects.values_list("event", "status")) == [(event, "delivered")]
    assert [r.headers["X-GrowthOps-Event"] for r in receiver.requests] == [event]


@pytest.mark.parametrize("step", ["request_changes", "pause", "resume"])
def test_steps_without_an_event_make_no_delivery(step, receiver, cmo, operator, committed):
    from webhooks.models import WebhookEvent

    endpoint(receiver, cmo, events=WebhookEvent.values)
    take_step(
        step, ExperimentFactory(owner=operator), cmo if step == "request_changes" else operator
    )

    assert committed(deliveries_dispatch) == {"queued": 0}
    assert receiver.requests == []


def test_dispatching_twice_makes_no_second_delivery(receiver, cmo, operator, committed):
    endpoint(receiver, cmo)
    take_step("approve", ExperimentFactory(owner=operator), cmo)

    committed(deliveries_dispatch)
    assert committed(deliveries_dispatch) == {"queued": 0}
    # Even once the cursor has moved over the row and back again (a cursor lost or reset).
    outbox.collect(now=timezone.now() + dt.timedelta(hours=1))
    WebhookCursor.objects.update(last_id=0)
    assert outbox.collect() == []

    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.requests) == 1


def test_the_cursor_moves_only_over_settled_rows(receiver, cmo, operator):
    endpoint(receiver, cmo)
    take_step("approve", ExperimentFactory(owner=operator), cmo)
    change = StatusChange.objects.get()

    outbox.collect()
    assert WebhookCursor.objects.get(name="status_change").last_id < change.pk

    later = timezone.now() + dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 61)
    outbox.collect(now=later)
    assert WebhookCursor.objects.get(name="status_change").last_id == change.pk


def test_an_endpoint_hears_only_of_what_happens_after_it_is_registered(
    receiver, cmo, operator, committed
):
    take_step("approve", ExperimentFactory(owner=operator), cmo)
    endpoint(receiver, cmo)

    assert committed(deliveries_dispatch) == {"queued": 0}
    assert receiver.requests == []


def test_an_inactive_endpoint_gets_no_deliveries(receiver, cmo, operator, committed):
    endpoint(receiver, cmo, active=False)
    take_step("approve", ExperimentFactory(owner=operator), cmo)

    assert committed(deliveries_dispatch) == {"queued": 0}
    assert not WebhookDelivery.objects.exists()


def test_a_new_cursor_replays_no_history(receiver, cmo, operator):
    take_step("approve", ExperimentFactory(owner=operator), cmo)
    change = StatusChange.objects.get()
    StatusChange.objects.update(created_at=timezone.now() - dt.timedelta(days=3))

    outbox.collect()

    assert WebhookCursor.objects.get(name="status_change").last_id == change.pk


def test_alerts_make_srm_and_guardrail_events(receiver, cmo, operator, committed):
    endpoint(receiver, cmo, events=["srm.detected", "guardrail.worse"])
    experiment = running_experiment(operator)
    srm = Alert.objects.create(experiment=experiment, kind=Alert.Kind.SRM, message="SRM!")
    guardrail = Alert.objects.create(
        experiment=experiment,
        kind=Alert.Kind.GUARDRAIL,
        metric=experiment.primary_metric,
        message="Sign-ups worse.",
    )
    Alert.objects.create(experiment=experiment, kind=Alert.Kind.OVERDUE, message="Overdue.")

    assert committed(deliveries_dispatch) == {"queued": 2}

    bodies = {json.loads(r.body)["event"]: json.loads(r.body) for r in receiver.requests}
    assert set(bodies) == {"srm.detected", "guardrail.worse"}
    assert bodies["srm.detected"]["data"]["alert"] == {
        "id": srm.pk,
        "kind": "srm",
        "metric": None,
        "raised_at": srm.raised_at.isoformat(),
    }
    assert bodies["srm.detected"]["data"]["message"] == "SRM!"
    assert bodies["guardrail.worse"]["data"]["alert"]["id"] == guardrail.pk
    assert bodies["guardrail.worse"]["data"]["alert"]["metric"] == "signups"
    assert bodies["guardrail.worse"]["data"]["experiment"]["status"] == "running"


def test_significance_is_announced_once_at_the_first_significant_look(
    receiver, cmo, operator, analyst, committed
):
    endpoint(receiver, cmo, events=["significance.reached", "srm.detected"])
    experiment = running_experiment(operator)
    # Look 1: 10 % vs 10.5 %, not significant.
    committed(
        observations_ingest,
        experiment_id=experiment.pk,
        actor=analyst,
        rows=binomial_rows(treatment=(1000, 105)),
    )
    committed(deliveries_dispatch)
    assert receiver.requests == []

    # Look 2: 10 % vs 20 %, significant (and the analysis really says so).
    committed(
        observations_ingest,
        experiment_id=experiment.pk,
        actor=analyst,
        rows=binomial_rows(day="2026-11-03", treatment=(1000, 200)),
    )
    b = Result.objects.get(experiment=experiment, variant__key="b", look=2, metric__key="signups")
    assert b.significant
    committed(deliveries_dispatch)

    [request] = receiver.requests
    body = json.loads(request.body)
    assert body["event"] == "significance.reached"
    assert body["created_at"] == b.computed_at.isoformat()
    data = body["data"]
    assert (data["metric"]["key"], data["look"], data["method"]) == ("signups", 2, "frequentist")
    assert [v["variant"] for v in data["variants"]] == ["b"]
    assert data["variants"][0]["lift"] == pytest.approx(b.lift)
    assert data["variants"][0]["p_value_adjusted"] == pytest.approx(b.p_value_adjusted)

    # Look 3 is significant too: nothing new to announce.
    committed(
        observations_ingest,
        experiment_id=experiment.pk,
        actor=analyst,
        rows=binomial_rows(day="2026-11-04", treatment=(1000, 220)),
    )
    assert Result.objects.get(experiment=experiment, variant__key="b", look=3).significant
    assert committed(deliveries_dispatch) == {"queued": 0}
    assert len(receiver.requests) == 1


def test_a_stuck_pending_delivery_is_queued_again(receiver, cmo, committed):
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint(receiver, cmo),
        event="experiment.approved",
        source="status_change:99",
        payload={"created_at": "2026-12-01T07:00:00+00:00", "data": {}},
        next_attempt_at=timezone.now() - dt.timedelta(minutes=6),
    )
    fresh = WebhookDelivery.objects.create(
        endpoint=delivery.endpoint,
        event="experiment.approved",
        source="status_change:100",
        payload={"created_at": "2026-12-01T07:00:00+00:00", "data": {}},
    )

    assert committed(deliveries_dispatch) == {"queued": 1}

    delivery.refresh_from_db()
    fresh.refresh_from_db()
    assert (delivery.status, fresh.status) == ("delivered", "pending")


def test_beat_runs_the_dispatch():
    entry = settings.CELERY_BEAT_SCHEDULE["dispatch-webhooks"]
    assert entry == {"task": "webhooks.tasks.webhooks_dispatch", "schedule": 30}
    from growthops.celery import app

    app.loader.import_default_modules()
    assert "webhooks.tasks.webhooks_dispatch" in app.tasks


def test_the_command_dispatches_at_once(receiver, cmo, operator, committed):
    from io import StringIO

    from django.core.management import call_command

    endpoint(receiver, cmo)
    take_step("approve", ExperimentFactory(owner=operator), cmo)
    out = StringIO()

    committed(call_command, "dispatch_webhooks", stdout=out)

    assert out.getvalue() == "Queued 1 webhook delivery(ies).\n"
    assert len(receiver.requests) == 1
