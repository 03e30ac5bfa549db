"""An objective's measured KPI: uploads as strict as observations, the series, who may write."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from growthops.errors import ValidationFailed
from programme.measurements import measurement_record
from programme.models import ObjectiveMeasurement
from tests.api.problems import problem_errors
from tests.conftest import client_for
from tests.factories import ObjectiveFactory

pytestmark = pytest.mark.django_db

# Past days, read at import: they stay in the past if the run crosses midnight. "Today" and
# "tomorrow" are read inside the tests that need them.
_COLLECTED_ON = timezone.localdate()
D1, D2 = (
    (_COLLECTED_ON - dt.timedelta(days=2)).isoformat(),
    (_COLLECTED_ON - dt.timedelta(days=1)).isoformat(),
)


@pytest.fixture
def objective(cmo):
    return ObjectiveFactory(owner=cmo)


def url(objective):
    return f"/api/v1/objectives/{objective.pk}/measurements/"


def stored(objective):
    return list(
        ObjectiveMeasurement.objects.filter(objective=objective)
        .order_by("date")
        .values_list("date", "value", "source")
    )


def post_csv(client, objective, text):
    return client.post(url(objective), text.encode(), content_type="text/csv")


def test_it_takes_json_rows_and_reads_them_back(analyst, objective):
    api = client_for(analyst)
    response = api.post(
        url(objective),
        [{"date": D1, "value": 1_020_000}, {"date": D2, "value": "1030000.456"}],
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json() == {"written": 2}
    assert stored(objective) == [
        (dt.date.fromisoformat(D1), Decimal("1020000.00"), "upload"),
        (dt.date.fromisoformat(D2), Decimal("1030000.46"), "upload"),
    ]
    series = api.get(url(objective)).json()["results"]
    assert [(row["date"], row["value"], row["recorded_by"]) for row in series] == [
        (D1, "1020000.00", str(analyst)),
        (D2, "1030000.46", str(analyst)),
    ]


def test_it_takes_csv_and_a_day_sent_again_replaces_its_value(cmo, objective):
    api = client_for(cmo)
    assert post_csv(api, objective, f"date,value\n{D1},100\n{D2},200\n").status_code == 201
    assert post_csv(api, objective, f"\ufeffdate,value\r\n{D2},250.5\r\n").status_code == 201
    assert [(d.isoformat(), v) for d, v, _ in stored(objective)] == [
        (D1, Decimal("100.00")),
        (D2, Decimal("250.50")),
    ]


def test_the_series_as_csv_names_the_unit_in_its_header(cmo, objective):
    api = client_for(cmo)
    post_csv(api, objective, f"date,value\n{D1},100\n")
    response = api.get(url(objective), {"format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines() == ["date,value (EUR)", f"{D1},100.00"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (f"date,value\n{D1},100\n2026-13-01,5\n", {"row 2": ["date: “2026-13-01” is not a date (YYYY-MM-DD)"]}),
        (f"date,value\n{D1},100\n{D2},lots\n", {"row 2": ["value: “lots” is not a number"]}),
        (f"date,value\n{D1},100\n{D2},\n", {"row 2": ["value: is required"]}),
        (f"date,value\n{D1},100\n{D1},5\n", {"row 2": ["date: duplicates row 1 (one value per day)"]}),
        (f"date,value\n{D1},1e20\n", {"row 1": ["value: 1e20 is larger than the KPI can hold"]}),
        (f"date,value\n{D1},nan\n", {"row 1": ["value: “nan” is not a number"]}),
        (f"date,value\n{D1},100,7\n", {"row 1": ["row: has more fields than the header (3, the header has 2)"]}),
    ],
)  # fmt: skip
def test_one_bad_csv_row_refuses_the_batch_naming_row_and_column(cmo, objective, body, problem):
    ObjectiveMeasurement.objects.create(objective=objective, date=D2, value=7)

    response = post_csv(client_for(cmo), objective, body)

    assert response.status_code == 400, response.content
    assert problem_errors(response) == problem
    assert "nothing was saved" in response.json()["detail"]
    assert [(v) for _, v, _ in stored(objective)] == [Decimal("7.00")]  # nothing written


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ("", "rows", ["Send a list of rows, each with a date and a value."]),
        (
            "date,value\n",
            "csv",
            ["The file has a header row but no data rows; add one row per day."],
        ),
        ("day,value\n2026-01-01,5\n", "csv", ["missing column(s): date", "unknown column(s): day"]),
        ("date,value,note\n2026-01-01,5,x\n", "csv", ["unknown column(s): note"]),
    ],
)
def test_an_empty_file_or_a_wrong_header_is_refused(cmo, objective, body, field, message):
    response = post_csv(client_for(cmo), objective, body)
    assert response.status_code == 400
    assert problem_errors(response)[field] == message
    assert stored(objective) == []


@pytest.mark.parametrize(
    ("rows", "errors"),
    [
        ([], {"rows": ["The batch is empty."]}),
        ({"date": D1, "value": 1}, {"rows": ["Send a list of rows, each with a date and a value."]}),
        ([{"date": D1, "value": True}], {"row 1": ["value: must be a number"]}),
        ([{"date": D1, "value": 1, "unit": "EUR"}], {"row 1": ["unit: unknown field"]}),
        ([{"date": 20260101, "value": 1}], {"row 1": ["date: “20260101” is not a date (YYYY-MM-DD)"]}),
        ([{"value": 1}], {"row 1": ["date: is required (YYYY-MM-DD)"]}),
        ([1], {"row 1": ["row: must be an object with a date and a value"]}),
    ],
)  # fmt: skip
def test_bad_json_rows_are_refused(cmo, objective, rows, errors):
    response = client_for(cmo).post(url(objective), rows, format="json")
    assert response.status_code == 400
    assert problem_errors(response) == errors
    assert stored(objective) == []


def test_a_day_in_the_future_is_refused(cmo, objective):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client_for(cmo).post(url(objective), [{"date": tomorrow, "value": 1}], format="json")
    assert response.status_code == 400
    assert "in the future" in problem_errors(response)["row 1"][0]
    assert stored(objective) == []


@pytest.mark.parametrize("unit", ["count"])
def test_a_count_below_zero_is_refused(cmo, unit):
    objective = ObjectiveFactory(owner=cmo, unit=unit, baseline=420, target=350)
    ObjectiveMeasurement.objects.create(objective=objective, date=D2, value=7)
    api = client_for(cmo)

    response = api.post(
        url(objective), [{"date": D1, "value": 0}, {"date": D2, "value": -999999999}], format="json"
    )
    assert response.status_code == 400
    assert problem_errors(response) == {
        "row 2": [f"value: -999999999 is below zero; a {unit} KPI is never negative"]
    }
    response = post_csv(api, objective, f"date,value\n{D1},-0.01\n")
    assert response.status_code == 400
    assert problem_errors(response) == {
        "row 1": [f"value: -0.01 is below zero; a {unit} KPI is never negative"]
    }
    assert [v for _, v, _ in stored(objective)] == [Decimal("7.00")]  # nothing written

    assert api.post(url(objective), [{"date": D1, "value": 0}], format="json").status_code == 201


@pytest.mark.parametrize("unit", ["percent", "currency"])
def test_a_percent_or_money_kpi_may_be_below_zero(cmo, unit):
    # A growth rate or a margin may be below zero; so may net new ARR or a profit.
    objective = ObjectiveFactory(owner=cmo, unit=unit, baseline=2, target=5)
    response = client_for(cmo).post(url(objective), [{"date": D1, "value": -1.5}], format="json")
    assert response.status_code == 201
    assert [v for _, v, _ in stored(objective)] == [Decimal("-1.50")]


def test_the_form_service_names_the_field_of_each_problem(cmo, objective):
    with pytest.raises(ValidationFailed) as refused:
        measurement_record(objective_id=objective.pk, actor=cmo, date="2999-01-01", value="x")
    assert refused.value.errors == {
        "date": ["2999-01-01 is in the future; a measurement is of a day that has happened"],
        "value": ["“x” is not a number"],
    }
    assert stored(objective) == []


@pytest.mark.parametrize(
    ("who", "post", "get"),
    [
        ("cmo", 201, 200),
        ("analyst", 201, 200),
        ("operator", 403, 200),
        ("marketer", 403, 200),
        (None, 401, 401),
    ],
)
def test_the_cmo_and_analysts_write_everyone_reads(cast, objective, who, post, get):
    api = client_for(cast[who] if who else None)
    response = api.post(url(objective), [{"date": D1, "value": 1}], format="json")
    assert response.status_code == post
    assert api.get(url(objective)).status_code == get
    assert len(stored(objective)) == (1 if post == 201 else 0)


def test_an_unknown_objective_is_a_404(cmo):
    response = client_for(cmo).post("/api/v1/objectives/999999/measurements/", [], format="json")
    assert response.status_code == 404


def test_the_form_service_records_one_day(cmo, objective):
    measurement = measurement_record(
        objective_id=objective.pk, actor=cmo, date=dt.date.fromisoformat(D1), value="12.5"
    )
    assert (measurement.value, measurement.source, measurement.recorded_by) == (
        Decimal("12.50"),
        "form",
        cmo,
    )
