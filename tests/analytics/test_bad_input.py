"""Bad input never gives a 500: each case is refused with a 4xx naming the problem, nothing written.

Observations go to ``/api/v1/experiments/{id}/observations/`` (JSON rows or CSV), events to
``/api/v1/events/`` (JSON or NDJSON).
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from analytics.models import AnalysisState, Event, Observation
from tests.analytics.helpers import pricing_page
from tests.api.problems import problem_errors

pytestmark = pytest.mark.django_db

HEADER = "date,variant,metric,users,conversions,sum,sum_squares"
DEEP = "[" * 100_000 + "]" * 100_000
NESTED = json.loads("[" * 500 + "]" * 500)  # deep, but within what the parser reads


def row(**changes):
    """A good binomial row for the treatment, with ``changes`` applied."""
    base = {"date": "2026-11-02", "variant": "b", "metric": "signups", "users": 1000}
    return {**base, "conversions": 100, **changes}


def mean_row(**changes):
    base = {"date": "2026-11-02", "variant": "b", "metric": "revenue", "users": 10}
    return {**base, "sum": 50, "sum_squares": 400, **changes}


def cuped(**changes):
    # Consistent covariates for a binomial row of 1000 users and 100 conversions.
    return row(
        **{"covariate_sum": 2000, "covariate_sum_squares": 5000, "cross_sum": 250, **changes}
    )


def event(**changes):
    base = {"experiment": "pricing-page", "variant": "b", "user_id": "u1", "kind": "conversion"}
    return {
        **base,
        "metric": "revenue",
        "value": 3.5,
        "timestamp": "2026-11-02T10:00:00Z",
        **changes,
    }


def csv(*lines):
    return "\n".join(lines) + "\n"


# (id, endpoint, body, content type, status, words the answer must contain)
OBSERVATION_CASES = [
    ("csv row longer than the header", csv(HEADER, "2026-11-02,b,signups,1000,100,,,7"), "text/csv",
     400, "more fields than the header"),
    ("csv repeated column", csv(HEADER + ",users", "2026-11-02,b,signups,1000,100,,,1000"),
     "text/csv", 400, "repeated column(s): users"),
    ("csv header with a lone carriage return", "date,variant\rmetric\n", "text/csv", 400,
     "missing column(s): metric"),
    ("csv with a header only", HEADER + "\n", "text/csv", 400, "header row but no data rows"),
    ("deeply nested json", DEEP, "application/json", 400, "nested too deeply"),
    ("nested value in a row", [row(variant=NESTED)], "json", 400, "unknown variant “list”"),
    ("count with underscores", [row(users="1_000")], "json", 400, "users: “1_000” is not a whole"),
    ("count in full-width digits", [row(users="１０００")], "json", 400, "users: “１０００”"),
    ("count with an exponent", [row(conversions="1e2")], "json", 400, "conversions: “1e2”"),
    ("count with a plus sign", [row(users="+1000")], "json", 400, "users: “+1000”"),
    ("sum in full-width digits", [mean_row(sum="５０")], "json", 400, "sum: “５０” is not a number"),
    ("sum with underscores", [mean_row(sum="5_0")], "json", 400, "sum: “5_0” is not a number"),
    ("basic-format date", [row(date="20261102")], "json", 400, "date: “20261102” is not a date"),
    ("week date", [row(date="2026-W45-1")], "json", 400, "date: “2026-W45-1” is not a date"),
    ("date as a json number", [row(date=20261102)], "json", 400, "date: “20261102” is not a date"),
    ("date with full-width digits", [row(date="２０２６-11-02")], "json", 400, "is not a date"),
    ("impossible calendar date", [row(date="2026-02-30")], "json", 400, "“2026-02-30” is not a date"),
    ("sums past the bound", [mean_row(users=1, sum=1e150, sum_squares=1e300)], "json", 400,
     "sum: a mean of 1e+150 per user is past the limit"),
    ("squares past the bound", [mean_row(users=1, sum=0, sum_squares=1e30)], "json", 400,
     "sum_squares: a root mean square of 1e+15 per user is past the limit"),
    ("covariate squares too small", [cuped(covariate_sum_squares=3000)], "json", 400,
     "covariate_sum_squares: must be at least covariate_sum²/users (a variance cannot be negative)"),
    ("covariate past the bound", [cuped(covariate_sum=1e18, covariate_sum_squares=1e36)], "json",
     400, "covariate_sum: a mean of 1e+15 per user is past the limit"),
    ("cross sum breaks cauchy-schwarz", [cuped(cross_sum=5000)], "json", 400,
     "cross_sum: is inconsistent with the other sums"),
    ("cross sum too low", [cuped(cross_sum=-5000)], "json", 400, "cross_sum: is inconsistent"),
    ("cross sum for a mean metric", [mean_row(covariate_sum=20, covariate_sum_squares=50,
                                              cross_sum=1000)], "json", 400, "cross_sum: is incon"),
    ("only two covariate fields", [row(covariate_sum=20, covariate_sum_squares=50)], "json", 400,
     "cross_sum: CUPED needs"),
]  # fmt: skip

EVENT_CASES = [
    ("deeply nested json", DEEP, "application/json", 400, "nested too deeply"),
    ("deeply nested ndjson line", DEEP, "application/x-ndjson", 400, "nested too deeply"),
    ("nested value in an event", [event(experiment=NESTED)], "json", 400, "unknown experiment"),
    ("ndjson not utf-8", b'{"user_id": "caf\xe9"}\n', "application/x-ndjson", 400, "not UTF-8"),
    ("json not utf-8", b'[{"user_id": "caf\xe9"}]', "application/json", 400, "not UTF-8"),
    ("value as a string", [event(value="3.5")], "json", 400, "must be a number (got '3.5')"),
    ("value past the bound", [event(value=1e300)], "json", 400, "value: must be a finite number"),
    ("timestamp as a number", [event(timestamp=1762077600)], "json", 400,
     "timestamp: must be an ISO 8601 string"),
    ("basic-format timestamp", [event(timestamp="20261102T100000Z")], "json", 400,
     "timestamp: is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS"),
    ("week-date timestamp", [event(timestamp="2026-W45-1T10:00Z")], "json", 400,
     "timestamp: is not an ISO 8601"),
    ("hour-only timestamp", [event(timestamp="2026-11-02T10Z")], "json", 400,
     "timestamp: is not an ISO 8601"),
]  # fmt: skip


@pytest.fixture
def experiment(operator):
    return pricing_page(operator)


def post(client, url, body, content_type):
    if content_type == "json":
        return client.post(url, body, format="json")
    return client.generic("POST", url, body, content_type=content_type)


def problems_text(response) -> str:
    """The answer as one text; an event's problems read ``field: message`` like a row's."""
    body = response.json()
    errors = body.get("errors")
    if isinstance(errors, list):
        errors = [f"{e['field']}: {e['message']}" for e in errors]
    return json.dumps({**body, "errors": errors}, ensure_ascii=False)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [case[1:] for case in OBSERVATION_CASES],
    ids=[case[0] for case in OBSERVATION_CASES],
)
def test_bad_observations_are_refused(api, experiment, body, content_type, status, words):
    url = f"/api/v1/experiments/{experiment.pk}/observations/"
    response = post(api, url, body, content_type)

    assert response.status_code == status, response.content
    assert words in problems_text(response)
    assert not Observation.objects.exists()
    assert not AnalysisState.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [case[1:] for case in EVENT_CASES],
    ids=[case[0] for case in EVENT_CASES],
)
def test_bad_events_are_refused(api, experiment, body, content_type, status, words):
    response = post(api, "/api/v1/events/", body, content_type)

    assert response.status_code == status, response.content
    assert words in problems_text(response)
    assert not Event.objects.exists()


def test_a_refused_row_names_its_row_and_field(api, experiment):
    rows = [row(variant="control"), cuped(cross_sum=5000)]
    response = api.post(f"/api/v1/experiments/{experiment.pk}/observations/", rows, format="json")

    assert response.status_code == 400
    assert list(problem_errors(response)) == ["row 2"]


def test_good_observations_at_the_limits_are_still_taken(api, experiment):
    rows = [
        cuped(variant="control"),
        mean_row(users=1, sum=-1e12, sum_squares=1e24),
        # Zero variance written with float rounding: 0.1 × 3 squared and summed.
        mean_row(variant="control", users=3, sum=0.30000000000000004, sum_squares=0.03),
    ]
    response = api.post(f"/api/v1/experiments/{experiment.pk}/observations/", rows, format="json")

    assert response.status_code == 201, response.content
    assert Observation.objects.count() == 3


def test_the_upload_form_says_a_bad_header_once(client, analyst, experiment):
    client.force_login(analyst)
    response = client.post(
        f"/experiments/{experiment.pk}/upload/",
        {"file": SimpleUploadedFile("obs.csv", b"day,variant,users\n", content_type="text/csv")},
        follow=True,
    )
    html = response.content.decode()
    assert html.count("unknown column(s): day") == 1
    assert "Bad CSV header: " in html and not Observation.objects.exists()


def test_the_upload_form_refuses_a_row_longer_than_the_header(client, analyst, experiment):
    client.force_login(analyst)
    body = csv(HEADER, "2026-11-02,b,signups,1000,100,,,7").encode()
    response = client.post(
        f"/experiments/{experiment.pk}/upload/",
        {"file": SimpleUploadedFile("obs.csv", body, content_type="text/csv")},
        follow=True,
    )

    assert response.status_code == 200
    assert "more fields than the header" in response.content.decode()
    assert not Observation.objects.exists()
