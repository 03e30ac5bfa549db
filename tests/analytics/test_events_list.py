"""GET /api/v1/events/: stored events read back in cursor pages, filtered, by who may read."""

import base64
import urllib.parse

import pytest

from analytics.ingest.events import events_ingest
from analytics.models import Event
from experiments.models import Experiment
from tests.analytics.helpers import START, onboarding, pricing_page
from tests.api.problems import problem_errors
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"
DAY = START.replace(day=2).isoformat()


@pytest.fixture
def experiment(operator):
    return pricing_page(operator)


@pytest.fixture
def other_experiment(operator):
    return onboarding(operator)


def exposure(user_id, variant="control", experiment="pricing-page", at="10:00:00"):
    return {
        "experiment": experiment,
        "variant": variant,
        "user_id": user_id,
        "kind": "exposure",
        "timestamp": f"{DAY}T{at}Z",
    }


def conversion(user_id, metric, value=None, variant="control", at="11:00:00"):
    event = {**exposure(user_id, variant, at=at), "kind": "conversion", "metric": metric}
    if value is not None:
        event["value"] = value
    return event


def ingest(analyst, events):
    assert events_ingest(actor=analyst, events=events) == len(events)


def read_all(client, url):
    """Every page from ``url`` on, following ``next``: the events and the page count."""
    events, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        events += body["results"]
        pages += 1
        url = body["next"]
    return events, pages


def test_it_presents_an_event_under_the_names_post_takes(analyst, experiment):
    ingest(
        analyst,
        [exposure("u1"), conversion("u1", "revenue", 12.5, at="11:00:00.250000")],
    )
    first, second = Event.objects.order_by("id").values_list("id", flat=True)

    response = client_for(analyst).get(URL)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next"] is None and body["previous"] is None
    assert body["results"] == [
        {"id": first, "experiment": "pricing-page", "variant": "control", "user_id": "u1",
         "kind": "exposure", "metric": None, "value": None, "timestamp": f"{DAY}T10:00:00Z"},
        {"id": second, "experiment": "pricing-page", "variant": "control", "user_id": "u1",
         "kind": "conversion", "metric": "revenue", "value": 12.5,
         "timestamp": f"{DAY}T11:00:00.250000Z"},
    ]  # fmt: skip


def test_what_it_lists_can_be_posted_again_as_it_is(analyst, experiment):
    ingest(analyst, [exposure("u1"), conversion("u1", "signups"), conversion("u1", "revenue", 3)])
    listed = client_for(analyst).get(URL).json()["results"]
    Event.objects.all().delete()

    response = client_for(analyst).post(URL, listed, format="json")  # ``id`` is ignored

    assert response.status_code == 201, response.content
    new_ids = Event.objects.order_by("id").values_list("id", flat=True)
    assert client_for(analyst).get(URL).json()["results"] == [
        {**event, "id": pk} for event, pk in zip(listed, new_ids, strict=True)
    ]


def test_cursor_pages_return_every_event_once_in_id_order(analyst, experiment):
    ingest(analyst, [exposure(f"u{n}") for n in range(23)])

    events, pages = read_all(client_for(analyst), f"{URL}?page_size=5")

    ids = [event["id"] for event in events]
    assert ids == list(Event.objects.order_by("id").values_list("id", flat=True))
    assert len(ids) == 23 and pages == 5


def test_events_added_between_pages_come_on_later_pages_and_nothing_repeats(analyst, experiment):
    ingest(analyst, [exposure(f"u{n}") for n in range(10)])
    client = client_for(analyst)
    first = client.get(f"{URL}?page_size=4").json()
    ingest(analyst, [exposure(f"late{n}") for n in range(7)])  # arrive after page one was read

    rest, _ = read_all(client, first["next"])

    ids = [event["id"] for event in first["results"] + rest]
    assert ids == list(Event.objects.order_by("id").values_list("id", flat=True))
    assert len(ids) == len(set(ids)) == 17
    assert [event["user_id"] for event in rest][-7:] == [f"late{n}" for n in range(7)]


def test_the_previous_page_is_the_same_page_as_before(analyst, experiment):
    ingest(analyst, [exposure(f"u{n}") for n in range(9)])
    client = client_for(analyst)
    first = client.get(f"{URL}?page_size=3").json()
    second = client.get(first["next"]).json()
    ingest(analyst, [exposure("late")])

    back = client.get(second["previous"]).json()

    assert back["results"] == first["results"]


def test_the_page_size_is_at_most_500(analyst, experiment):
    ingest(analyst, [exposure(f"u{n}") for n in range(501)])

    body = client_for(analyst).get(f"{URL}?page_size=500").json()
    refused = client_for(analyst).get(f"{URL}?page_size=10000")

    assert len(body["results"]) == 500 and body["next"]
    assert refused.status_code == 400
    assert problem_errors(refused) == {
        "page_size": ["“10000” is not a whole number from 1 to 500."]
    }


@pytest.mark.parametrize("position", ["abc", "-1", "1e3", "99999999999999999999"])
def test_a_cursor_whose_position_is_not_an_id_is_a_404(analyst, experiment, position):
    cursor = base64.b64encode(urllib.parse.urlencode({"p": position}).encode()).decode()

    response = client_for(analyst).get(URL, {"cursor": cursor})

    assert response.status_code == 404
    assert response.json()["detail"] == "Invalid cursor"


@pytest.fixture
def mixed(analyst, experiment, other_experiment):
    ingest(
        analyst,
        [
            exposure("u1"),
            exposure("u2", "b", at="12:00:00"),
            conversion("u1", "signups", at="13:00:00"),
            conversion("u2", "revenue", 4.0, variant="b", at="14:00:00"),
            exposure("o1", "long", "onboarding", at="09:00:00"),
            exposure("o2", "control", "onboarding", at="15:00:00"),
        ],
    )
    return {"pricing-page": experiment, "onboarding": other_experiment}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["u1", "u2", "u1", "u2", "o1", "o2"]),
        ({"experiment": "onboarding"}, ["o1", "o2"]),
        ({"variant": "control"}, ["u1", "u1", "o2"]),
        ({"variant": "long"}, ["o1"]),
        ({"kind": "conversion"}, ["u1", "u2"]),
        ({"kind": "exposure", "experiment": "pricing-page"}, ["u1", "u2"]),
        ({"metric": "revenue"}, ["u2"]),
        ({"user_id": "u2"}, ["u2", "u2"]),
        ({"timestamp_after": f"{DAY}T12:00:00Z"}, ["u2", "u1", "u2", "o2"]),
        ({"timestamp_before": f"{DAY}T12:00:00Z"}, ["u1", "u2", "o1"]),
        (
            {"timestamp_after": f"{DAY}T14:00:00+02:00", "timestamp_before": f"{DAY}T13:00:00Z"},
            ["u2", "u1"],
        ),
        ({"experiment": "no-such-experiment"}, []),
        ({"metric": "no-such-metric"}, []),
        ({"user_id": "nobody"}, []),
    ],
)
def test_filters(analyst, mixed, query, expected):
    response = client_for(analyst).get(URL, query)

    assert response.status_code == 200, response.content
    assert [event["user_id"] for event in response.json()["results"]] == expected


def test_the_experiment_filter_takes_an_id_or_a_key(analyst, mixed):
    onboarding = mixed["onboarding"]
    client = client_for(analyst)

    by_id = client.get(URL, {"experiment": onboarding.pk}).json()["results"]
    by_key = client.get(URL, {"experiment": "onboarding"}).json()["results"]

    assert by_id == by_key
    assert {event["experiment"] for event in by_id} == {"onboarding"}
    assert client.get(URL, {"experiment": 10**30}).json()["results"] == []


def test_filters_keep_the_cursor_paging(analyst, mixed):
    events, pages = read_all(client_for(analyst), f"{URL}?experiment=pricing-page&page_size=1")

    assert [event["user_id"] for event in events] == ["u1", "u2", "u1", "u2"]
    assert pages == 4


def test_a_time_with_an_offset_postgresql_cannot_store_is_compared_in_utc(analyst, mixed):
    # 2026-11-02T12:00Z written with an offset of +23:50 (Python reads it; PostgreSQL would not).
    response = client_for(analyst).get(URL, {"timestamp_after": f"{DAY}T11:50:00+23:50"})

    assert response.status_code == 200, response.content
    assert [event["user_id"] for event in response.json()["results"]] == [
        "u1",
        "u2",
        "u1",
        "u2",
        "o1",
        "o2",
    ]


def test_a_time_that_leaves_the_calendar_in_utc_is_a_400(analyst, mixed):
    response = client_for(analyst).get(URL, {"timestamp_before": "0001-01-01T00:00:00+05:00"})

    assert response.status_code == 400, response.content
    assert list(problem_errors(response)) == ["timestamp"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"kind": "click"}, "kind"),
        ({"timestamp_after": "yesterday"}, "timestamp_after"),  # the parameter sent
        ({"user_id": "a\x00b"}, "user_id"),
    ],
    ids=["kind", "timestamp", "nul"],
)
def test_a_filter_value_it_cannot_read_is_a_400_naming_the_field(analyst, mixed, query, field):
    response = client_for(analyst).get(URL, query)

    assert response.status_code == 400, response.content
    assert list(problem_errors(response)) == [field]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("operator", 200),
        ("operator2", 200),
        ("analyst", 200),
        ("marketer", 200),
        ("cmo", 200),
        (None, 401),
    ],
)
def test_who_may_read_events(request, mixed, who, expected):
    user = request.getfixturevalue(who) if who else None

    response = client_for(user).get(URL)

    assert response.status_code == expected, response.content
    if expected == 200:
        assert len(response.json()["results"]) == 6
    else:
        assert response.json()["detail"]


def test_reading_is_allowed_where_sending_is_not(marketer, mixed):
    client = client_for(marketer)

    assert client.get(URL).status_code == 200
    assert client.post(URL, [exposure("m1")], format="json").status_code == 403
    assert Event.objects.count() == 6


def test_events_of_experiments_the_user_may_not_see_are_not_listed(analyst, mixed, monkeypatch):
    hidden = mixed["pricing-page"]

    def without_hidden(user):
        return Experiment.objects.exclude(pk=hidden.pk)

    monkeypatch.setattr("analytics.selectors.experiment_list_for_user", without_hidden)
    client = client_for(analyst)

    listed = client.get(URL).json()["results"]
    asked_for = client.get(URL, {"experiment": hidden.key}).json()["results"]

    assert [event["experiment"] for event in listed] == ["onboarding", "onboarding"]
    assert asked_for == []
