"""POST /api/v1/events/: JSON and NDJSON batches, all-or-nothing validation, permissions."""

import datetime as dt
import json

import pytest

from analytics.ingest.events import MAX_EVENTS, EventsRejected, events_ingest
from analytics.models import Event
from tests.analytics.helpers import onboarding, pricing_page
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


@pytest.fixture
def experiment(operator):
    return pricing_page(operator)


@pytest.fixture
def other_experiment(operator):
    return onboarding(operator)


def good_events():
    return [
        {"experiment": "pricing-page", "variant": "control", "user_id": "u1", "kind": "exposure",
         "timestamp": "2026-11-02T10:00:00Z"},
        {"experiment": "pricing-page", "variant": "b", "user_id": "u2", "kind": "exposure",
         "metric": None, "timestamp": "2026-11-02T12:00:00+02:00"},
        {"experiment": "pricing-page", "variant": "control", "user_id": "u1", "kind": "conversion",
         "metric": "signups", "timestamp": "2026-11-02T10:05:00Z"},
        {"experiment": "pricing-page", "variant": "b", "user_id": 42, "kind": "conversion",
         "metric": "revenue", "value": 12.5, "timestamp": "2026-11-02T10:06:00.123456+00:00"},
    ]  # fmt: skip


def post_ndjson(client, lines):
    body = "\n".join(lines) + "\n"
    return client.post(URL, data=body, content_type="application/x-ndjson")


def test_it_stores_a_json_batch(analyst, experiment):
    response = client_for(analyst).post(URL, good_events(), format="json")

    assert response.status_code == 201, response.content
    assert response.json() == {"accepted": 4}
    rows = list(
        Event.objects.order_by("id").values_list(
            "experiment_id", "variant__key", "metric__key", "user_id", "kind", "value", "timestamp"
        )
    )
    utc = dt.UTC
    assert rows == [
        (experiment.pk, "control", None, "u1", 1, None, dt.datetime(2026, 11, 2, 10, tzinfo=utc)),
        (experiment.pk, "b", None, "u2", 1, None, dt.datetime(2026, 11, 2, 10, tzinfo=utc)),
        (experiment.pk, "control", "signups", "u1", 2, None, dt.datetime(2026, 11, 2, 10, 5, tzinfo=utc)),
        (experiment.pk, "b", "revenue", "42", 2, 12.5, dt.datetime(2026, 11, 2, 10, 6, 0, 123456, tzinfo=utc)),
    ]  # fmt: skip


def test_it_stores_an_ndjson_batch_skipping_blank_lines(analyst, experiment):
    lines = [json.dumps(e) for e in good_events()]
    lines.insert(2, "")

    response = post_ndjson(client_for(analyst), lines)

    assert response.status_code == 201, response.content
    assert response.json() == {"accepted": 4}
    assert Event.objects.count() == 4


def test_user_ids_keep_every_character(analyst, experiment):
    odd = ["tab\there", "new\nline", "back\\slash", "\\N", "crème brûlée ☕", "cr\rlf"]
    events = [
        {"experiment": "pricing-page", "variant": "b", "user_id": user, "kind": "exposure",
         "timestamp": "2026-11-02T10:00:00Z"}
        for user in odd
    ]  # fmt: skip

    assert events_ingest(actor=analyst, events=events) == len(odd)
    assert sorted(Event.objects.values_list("user_id", flat=True)) == sorted(odd)


def test_a_batch_is_stored_by_experiment_from_the_first_events_in_the_order_sent_within_each(
    analyst, experiment, other_experiment
):
    def sent(key, variant, user):
        return {"experiment": key, "variant": variant, "user_id": user, "kind": "exposure",
                "timestamp": "2026-11-02T10:00:00Z"}  # fmt: skip

    events = [sent("onboarding", "control", "o1"), sent("pricing-page", "b", "p1"),
              sent("onboarding", "long", "o2"), sent("pricing-page", "control", "p2"),
              sent("onboarding", "control", "o3")]  # fmt: skip

    assert events_ingest(actor=analyst, events=events) == 5
    assert list(Event.objects.order_by("id").values_list("experiment__key", "user_id")) == [
        ("onboarding", "o1"), ("onboarding", "o2"), ("onboarding", "o3"),  # the first event's
        ("pricing-page", "p1"), ("pricing-page", "p2"),
    ]  # fmt: skip
    assert other_experiment.pk > experiment.pk  # so the order wrapped round


def test_a_time_zone_offset_beyond_postgresqls_range_is_stored_as_its_utc_instant(
    analyst, experiment
):
    """ISO 8601 allows offsets up to ±23:59, PostgreSQL's time input only up to ±15:59."""
    event = {"experiment": "pricing-page", "variant": "b", "user_id": "u1", "kind": "exposure",
             "timestamp": "2026-11-03T06:00:00+20:00"}  # fmt: skip

    assert events_ingest(actor=analyst, events=[event]) == 1
    stored = Event.objects.get().timestamp
    assert stored == dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)


def test_it_accepts_ndjson_with_a_charset(analyst, experiment):
    body = "\n".join(json.dumps(e) for e in good_events())
    response = client_for(analyst).post(
        URL, data=body, content_type="application/x-ndjson; charset=utf-8"
    )

    assert response.status_code == 201, response.content
    assert Event.objects.count() == 4


def _bad(**changes):
    event = {"experiment": "pricing-page", "variant": "b", "user_id": "u9", "kind": "conversion",
             "metric": "signups", "timestamp": "2026-11-02T10:00:00Z"}  # fmt: skip
    event.update(changes)
    return {k: v for k, v in event.items() if v != "<drop>"}


BAD_EVENTS = [
    ("unknown experiment", _bad(experiment="nope"), "experiment"),
    ("missing experiment", _bad(experiment="<drop>"), "experiment"),
    ("unknown variant", _bad(variant="c"), "variant"),
    ("variant of another experiment", _bad(variant="long"), "variant"),
    ("bad kind", _bad(kind="click"), "kind"),
    ("missing kind", _bad(kind="<drop>"), "kind"),
    ("missing user_id", _bad(user_id="<drop>"), "user_id"),
    ("empty user_id", _bad(user_id=""), "user_id"),
    ("user_id too long", _bad(user_id="x" * 129), "user_id"),
    ("user_id not a string", _bad(user_id=["u"]), "user_id"),
    ("non-numeric value", _bad(value="12"), "value"),
    ("boolean value", _bad(value=True), "value"),
    ("negative value", _bad(value=-1), "value"),
    ("mean metric without a value", _bad(metric="revenue"), "value"),
    ("exposure with a value", _bad(kind="exposure", metric="<drop>", value=3), "value"),
    ("bad timestamp", _bad(timestamp="yesterday"), "timestamp"),
    ("timestamp without a time zone", _bad(timestamp="2026-11-02T10:00:00"), "timestamp"),
    ("numeric timestamp", _bad(timestamp=1762077600), "timestamp"),
    ("missing timestamp", _bad(timestamp="<drop>"), "timestamp"),
    ("timestamp at the calendar's end", _bad(timestamp="9999-12-31T12:00:00Z"), "timestamp"),
    ("timestamp before the year 2000", _bad(timestamp="0001-01-01T00:30:00+01:00"), "timestamp"),
    ("conversion without metric", _bad(metric="<drop>"), "metric"),
    ("unknown metric", _bad(metric="nope"), "metric"),
    ("metric of another experiment", _bad(metric="clicks"), "metric"),
    ("exposure with a metric", _bad(kind="exposure"), "metric"),
    ("not an object", ["pricing-page", "b"], "event"),
]


@pytest.mark.parametrize(("case", "bad_event", "field"), BAD_EVENTS, ids=[c[0] for c in BAD_EVENTS])
def test_it_rejects_the_whole_batch_for_one_bad_event(
    analyst, experiment, other_experiment, case, bad_event, field
):
    events = good_events()
    events.insert(2, bad_event)

    response = client_for(analyst).post(URL, events, format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert "nothing was saved" in body["detail"]
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(2, field)]
    assert body["errors"][0]["message"]
    assert Event.objects.count() == 0


def test_it_lists_every_bad_event_by_index(analyst, experiment):
    events = good_events() + [_bad(kind="click"), _bad(variant="zz", value=-3)]
    events.insert(1, _bad(timestamp="nope"))

    response = client_for(analyst).post(URL, events, format="json")

    assert response.status_code == 400
    listed = [(e["index"], e["field"]) for e in response.json()["errors"]]
    assert listed == [(1, "timestamp"), (5, "kind"), (6, "variant"), (6, "value")]
    assert Event.objects.count() == 0


def test_it_caps_the_listed_errors_and_says_how_many_more(analyst, experiment):
    events = [_bad(kind="click") for _ in range(1_500)]

    response = client_for(analyst).post(URL, events, format="json")

    body = response.json()
    assert response.status_code == 400
    assert len(body["errors"]) == 1_000
    assert body["errors"][-1]["index"] == 999
    assert "500 more" in body["detail"]


def test_it_reports_a_malformed_ndjson_line_by_its_index(analyst, experiment):
    lines = [json.dumps(e) for e in good_events()]
    lines[1] = '{"experiment": "pricing-page", '

    response = post_ndjson(client_for(analyst), lines)

    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(1, "line")]
    assert Event.objects.count() == 0


@pytest.mark.parametrize("body", ["{not json", '{"experiment": "pricing-page"}', "[]", "null"])
def test_it_rejects_a_body_that_is_not_a_list_of_events(analyst, experiment, body):
    response = client_for(analyst).post(URL, data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"]
    assert Event.objects.count() == 0


def test_it_refuses_more_than_the_maximum_per_request(analyst, experiment):
    one = good_events()[0]
    with pytest.raises(EventsRejected, match="At most 100,000 events"):
        events_ingest(actor=analyst, events=[one] * (MAX_EVENTS + 1))
    assert Event.objects.count() == 0


def test_it_refuses_more_than_the_maximum_over_ndjson(analyst, experiment):
    line = json.dumps(good_events()[0])

    response = post_ndjson(client_for(analyst), [line] * (MAX_EVENTS + 1))

    assert response.status_code == 400
    assert "At most 100,000 events" in response.json()["detail"]
    assert Event.objects.count() == 0


def test_it_refuses_an_unsupported_content_type(analyst, experiment):
    response = client_for(analyst).post(URL, data="a,b", content_type="text/csv")

    assert response.status_code == 415


@pytest.mark.parametrize(
    ("who", "expected"),
    [("analyst", 201), ("operator", 201), ("marketer", 403), ("cmo", 403), (None, {401, 403})],
)
def test_permission_matrix(request, experiment, who, expected):
    user = request.getfixturevalue(who) if who else None

    response = client_for(user).post(URL, good_events(), format="json")

    expected = expected if isinstance(expected, set) else {expected}
    assert response.status_code in expected, response.content
    assert Event.objects.count() == (4 if 201 in expected else 0)


def test_a_refused_role_is_told_why(marketer, experiment):
    response = client_for(marketer).post(URL, good_events(), format="json")

    assert response.status_code == 403
    assert "Analyst" in response.json()["detail"]


def test_the_service_checks_the_ability_too(marketer, experiment):
    from growthops.errors import NotPermitted

    with pytest.raises(NotPermitted):
        events_ingest(actor=marketer, events=good_events())
    assert Event.objects.count() == 0


def test_it_resolves_keys_with_a_few_queries_not_one_per_event(analyst, experiment):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def lookups(events):
        with CaptureQueriesContext(connection) as queries:
            assert events_ingest(actor=analyst, events=events) == len(events)
        return [q for q in queries.captured_queries if q["sql"].startswith("SELECT")]

    assert len(lookups(good_events() * 500)) == len(lookups(good_events())) <= 7
