"""Events obey the upload rules per experiment: who may write, which statuses, which days;
the roll-up never overwrites an upload or a decided experiment's data."""

import pytest
from rest_framework.test import APIClient

from analytics.ingest.events import events_ingest
from analytics.ingest.observations import observations_ingest
from analytics.ingest.rollup import events_rollup_run
from analytics.models import Event, Observation, Result
from tests.analytics.helpers import START, binomial_rows, pricing_page, running_experiment
from tests.api.problems import problem_items
from tests.experiments.helpers import put_in_status

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


def exposures(key, *stamps, variant="control"):
    return [
        {"experiment": key, "variant": variant, "user_id": f"u{i}", "kind": "exposure",
         "timestamp": stamp}
        for i, stamp in enumerate(stamps)
    ]  # fmt: skip


def post(user, events):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(URL, data=events, format="json")


@pytest.fixture
def experiment(operator):
    return pricing_page(operator)


def test_it_refuses_events_for_an_experiment_another_operator_owns(operator2, experiment):
    response = post(operator2, exposures("pricing-page", "2026-11-02T10:00:00Z"))

    assert response.status_code == 403, response.content
    body = response.json()
    assert problem_items(response) == [
        {"index": 0, "field": "experiment", "message": f"Only the owner ({experiment.owner}) "
         "may upload or stream result data."}
    ]  # fmt: skip
    assert "nothing was saved" in body["detail"]
    assert Event.objects.count() == 0


def test_the_rules_read_each_experiment_and_owner_once_whatever_their_number(operator, operator2):
    """The batch loads only the fields the rules use; one they read beyond those would cost a
    query per experiment."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    keys = [running_experiment(operator, key=f"theirs-{n}").key for n in range(3)]

    def queries(count):
        batch = [e for key in keys[:count] for e in exposures(key, "2026-11-02T10:00:00Z")]
        with CaptureQueriesContext(connection) as captured:
            assert post(operator2, batch).status_code == 403
        return len(captured.captured_queries)

    assert queries(1) == queries(3)


def test_one_forbidden_experiment_refuses_the_whole_batch(operator, operator2):
    running_experiment(operator2, key="theirs")
    mine = exposures("theirs", "2026-11-02T10:00:00Z")
    other = running_experiment(operator, key="not-mine", variants=[("control", True, 0.5)])
    batch = mine + exposures(other.key, "2026-11-02T10:00:00Z")

    response = post(operator2, batch)

    assert response.status_code == 403
    assert [e["index"] for e in response.json()["errors"]] == [1]
    assert Event.objects.count() == 0


@pytest.mark.parametrize("status", ["draft", "in_review", "approved", "concluded", "killed"])
def test_it_refuses_events_for_an_experiment_that_takes_no_data(analyst, experiment, status):
    put_in_status(experiment, status)

    response = post(analyst, exposures("pricing-page", "2026-11-02T10:00:00Z"))

    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert error["field"] == "experiment"
    assert "data is accepted while it runs, is paused or awaits its decision" in error["message"]
    assert Event.objects.count() == 0


def test_it_refuses_events_outside_the_experiment_window(analyst, experiment):
    response = post(
        analyst,
        exposures(
            "pricing-page",
            "2000-01-02T10:00:00Z",  # long before the start
            "2026-10-31T23:59:59Z",  # the day before the start (UTC)
            "2026-11-01T00:00:00Z",  # the start day: fine
            "2099-06-01T10:00:00Z",  # the future
        ),
    )

    assert response.status_code == 400, response.content
    errors = problem_items(response)
    assert [(e["index"], e["field"]) for e in errors] == [
        (0, "timestamp"),
        (1, "timestamp"),
        (3, "timestamp"),
    ]
    assert errors[0]["message"].startswith(f"2000-01-02 is outside the experiment ({START} to ")
    assert Event.objects.count() == 0


def test_an_ended_experiment_takes_no_events_after_its_end(analyst, experiment):
    put_in_status(experiment, "completed", end_date="2026-11-05")

    refused = post(analyst, exposures("pricing-page", "2026-11-06T10:00:00Z"))
    accepted = post(analyst, exposures("pricing-page", "2026-11-05T10:00:00Z"))

    assert refused.status_code == 400
    assert (
        "outside the experiment (2026-11-01 to 2026-11-05)"
        in refused.json()["errors"][0]["message"]
    )
    assert accepted.status_code == 201
    assert Event.objects.count() == 1


def test_the_service_applies_the_rules_without_http(operator2, experiment):
    from growthops.errors import NotPermitted

    with pytest.raises(NotPermitted):
        events_ingest(actor=operator2, events=exposures("pricing-page", "2026-11-02T10:00:00Z"))
    assert Event.objects.count() == 0


def _conversions(key, day):
    return [
        {"experiment": key, "variant": "control", "user_id": "e1", "kind": "exposure",
         "timestamp": f"{day}T09:00:00Z"},
        {"experiment": key, "variant": "control", "user_id": "e1", "kind": "conversion",
         "metric": "signups", "timestamp": f"{day}T09:05:00Z"},
    ]  # fmt: skip


def test_the_roll_up_never_overwrites_an_uploaded_row(analyst, experiment):
    observations_ingest(
        experiment_id=experiment.pk, actor=analyst, rows=binomial_rows(control=(708, 147))
    )
    events_ingest(actor=analyst, events=_conversions("pricing-page", "2026-11-02"))

    events_rollup_run()

    uploaded = Observation.objects.get(
        variant__key="control", metric__key="signups", date="2026-11-02"
    )
    assert (uploaded.users, uploaded.conversions, uploaded.source) == (708, 147, "upload")
    # The events' other rows (a metric the upload did not send) are still rolled up.
    revenue = Observation.objects.get(
        variant__key="control", metric__key="revenue", date="2026-11-02"
    )
    assert (revenue.users, revenue.source) == (1, "events")


def test_the_roll_up_leaves_a_decided_experiment_as_it_was_decided(analyst, experiment):
    events_ingest(actor=analyst, events=_conversions("pricing-page", "2026-11-02"))
    events_rollup_run()
    before = {
        (o.variant_id, o.metric_id, o.date): (o.users, o.conversions, o.sum)
        for o in Observation.objects.all()
    }
    looks = Result.objects.filter(experiment=experiment).count()
    # More events arrived while it ran, then the CMO concluded before the next roll-up.
    events_ingest(actor=analyst, events=exposures("pricing-page", "2026-11-02T11:00:00Z"))
    put_in_status(experiment, "concluded")

    counts = events_rollup_run()

    after = {
        (o.variant_id, o.metric_id, o.date): (o.users, o.conversions, o.sum)
        for o in Observation.objects.all()
    }
    assert after == before
    assert counts["experiments"] == 0 and counts["observations"] == 0
    assert Result.objects.filter(experiment=experiment).count() == looks
