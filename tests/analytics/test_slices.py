"""Slices and windows: uploads of a dimension's rows, results by dimension (corrected across
slices) and over a date window, computed from the stored daily rows and checked against the
engine directly."""

import datetime as dt
import re

import pytest

from analytics.analysis.pipeline import experiments_analyse
from analytics.ingest.observations import observations_ingest, parse_csv
from analytics.models import Observation, Result
from analytics.slices import SMALL_SLICE_USERS, results_computed
from analytics.stats import analyse, chance_of_a_false_positive, holm
from tests.analytics.helpers import START, running_experiment

pytestmark = pytest.mark.django_db

DAY1, DAY2, DAY3 = (START + dt.timedelta(days=n) for n in (1, 2, 3))
# (day, device) → (control users, conversions, treatment users, conversions)
SLICES = {
    (DAY1, "mobile"): (600, 60, 600, 84),
    (DAY1, "desktop"): (400, 40, 400, 41),
    (DAY2, "mobile"): (700, 70, 700, 91),
    (DAY2, "desktop"): (300, 33, 300, 30),
    (DAY2, "tablet"): (50, 5, 50, 9),
}


def _row(day, variant, users, conversions, **extra):
    return {
        "date": day.isoformat(),
        "variant": variant,
        "metric": "signups",
        "users": users,
        "conversions": conversions,
        **extra,
    }


def _slice_rows():
    rows = []
    for (day, device), (cu, cc, tu, tc) in SLICES.items():
        where = {"dimension": "device", "dimension_value": device}
        rows += [_row(day, "control", cu, cc, **where), _row(day, "b", tu, tc, **where)]
    return rows


def _overall_rows():
    """The overall rows: each day's slices summed, and a third day."""
    rows = []
    for day in (DAY1, DAY2):
        c = [v for (d, _), v in SLICES.items() if d == day]
        rows += [
            _row(day, "control", sum(v[0] for v in c), sum(v[1] for v in c)),
            _row(day, "b", sum(v[2] for v in c), sum(v[3] for v in c)),
        ]
    return rows + [_row(DAY3, "control", 900, 90), _row(DAY3, "b", 900, 117)]


@pytest.fixture
def experiment(operator, analyst):
    experiment = running_experiment(operator)
    observations_ingest(
        experiment_id=experiment.pk, actor=analyst, rows=_overall_rows() + _slice_rows()
    )
    experiments_analyse([experiment.pk])
    return experiment


def results_url(experiment, query=""):
    return f"/api/v1/experiments/{experiment.pk}/results/{query}"


def _engine(control, treatment, **request):
    """The engine's own answer for one comparison (binomial; control then treatment)."""
    return analyse(
        {
            "metric_type": "binomial",
            "variants": [
                {"name": "control", "users": control[0], "conversions": control[1]},
                {"name": "b", "users": treatment[0], "conversions": treatment[1]},
            ],
            **request,
        }
    )["variants"][1]


def _slice_totals(device):
    rows = [v for (_, d), v in SLICES.items() if d == device]
    return (
        (sum(v[0] for v in rows), sum(v[1] for v in rows)),
        (sum(v[2] for v in rows), sum(v[3] for v in rows)),
    )


# --- uploads --------------------------------------------------------------------------------


def test_slice_rows_are_stored_beside_the_overall_rows_and_the_analysis_reads_the_overall(
    experiment,
):
    stored = Observation.objects.filter(experiment=experiment)
    assert stored.overall().count() == 6
    assert stored.sliced("device").count() == 10
    assert set(stored.sliced("device").values_list("dimension_value", flat=True)) == {
        "mobile",
        "desktop",
        "tablet",
    }
    # The stored result is the overall rows' (not the overall plus the slices counted twice).
    treatment = Result.objects.get(experiment=experiment, variant__key="b", metric__key="signups")
    assert treatment.users == 1000 + 1050 + 900


def test_re_sending_a_slice_day_replaces_only_that_slice(experiment, analyst):
    observations_ingest(
        experiment_id=experiment.pk,
        actor=analyst,
        rows=[_row(DAY1, "control", 601, 61, dimension="device", dimension_value="mobile")],
    )
    mobile = Observation.objects.get(
        experiment=experiment, date=DAY1, variant__key="control", dimension_value="mobile"
    )
    overall = Observation.objects.overall().get(
        experiment=experiment, date=DAY1, variant__key="control"
    )
    assert (mobile.users, mobile.conversions) == (601, 61)
    assert overall.users == 1000


def test_a_csv_may_carry_the_dimension_columns():
    rows = parse_csv(
        "date,variant,metric,users,conversions,sum,sum_squares,dimension,dimension_value\n"
        "2026-11-02,control,signups,10,1,,,device,mobile\n"
    )
    assert rows[0]["dimension"] == "device" and rows[0]["dimension_value"] == "mobile"


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"dimension": "devise", "dimension_value": "mobile"}, "dimension", "the known ones: "),
        ({"dimension": "device"}, "dimension_value", "is required with a dimension"),
        ({"dimension_value": "mobile"}, "dimension", "is required with a dimension_value"),
        ({"dimension": "device", "dimension_value": 3}, "dimension_value", "must be text"),
        ({"dimension": "device", "dimension_value": "x" * 65}, "dimension_value", "longer than"),
        ({"dimension": ["device"], "dimension_value": "mobile"}, "dimension", "must be text"),
    ],
)
def test_a_bad_slice_is_refused_naming_the_field_and_nothing_is_written(
    api, operator, extra, field, message
):
    experiment = running_experiment(operator)
    rows = [_row(DAY1, "control", 10, 1), _row(DAY1, "b", 10, 1, **extra)]
    response = api.post(f"/api/v1/experiments/{experiment.pk}/observations/", rows, format="json")
    assert response.status_code == 400
    text = response.content.decode()
    assert f"{field}: " in text and message in text
    if field == "dimension" and "known" in message:
        assert "device, country, channel" in text  # the known list is named
    assert not Observation.objects.filter(experiment=experiment).exists()


def test_the_same_slice_twice_in_a_batch_is_a_duplicate(api, operator):
    experiment = running_experiment(operator)
    row = _row(DAY1, "control", 10, 1, dimension="device", dimension_value="mobile")
    response = api.post(
        f"/api/v1/experiments/{experiment.pk}/observations/", [row, row], format="json"
    )
    assert response.status_code == 400
    assert "duplicates row 1" in response.content.decode()
    assert "device “mobile”" in response.content.decode()


def test_the_observations_list_and_export_show_the_overall_rows(api, experiment, client, analyst):
    body = api.get(f"/api/v1/experiments/{experiment.pk}/observations/").json()
    assert body["count"] == 6
    assert {row["dimension"] for row in body["results"]} == {""}
    client.force_login(analyst)
    export = client.get(f"/experiments/{experiment.pk}/export/observations.csv")
    assert len(b"".join(export.streaming_content).decode().strip().splitlines()) == 1 + 6


# --- results by dimension -------------------------------------------------------------------


def test_each_slice_is_the_engine_on_its_sums_corrected_across_slices(api, experiment):
    response = api.get(results_url(experiment, "?dimension=device&metric=signups"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dimension"] == "device" and body["correction"] == "holm"
    assert [s["value"] for s in body["slices"]] == ["mobile", "desktop", "tablet"]
    raw = []
    for piece in body["slices"]:
        control, treatment = _slice_totals(piece["value"])
        expected = _engine(control, treatment)
        control_row, row = piece["results"]
        assert control_row["is_control"] and control_row["users"] == control[0]
        assert piece["users"] == control[0] + treatment[0]
        assert row["users"] == treatment[0]
        assert row["lift"] == pytest.approx(expected["lift"])
        assert [row["lift_ci_low"], row["lift_ci_high"]] == pytest.approx(expected["lift_ci"])
        assert row["p_value"] == pytest.approx(expected["p_value"])
        raw.append(row["p_value"])
    corrected = holm(raw)
    for piece, p in zip(body["slices"], corrected, strict=True):
        row = piece["results"][1]
        assert row["p_value_across_slices"] == pytest.approx(p)
        assert row["significant"] == (p < 0.05)
    # Holm raised the smallest p-value threefold: mobile is no longer read on its raw p.
    assert body["slices"][0]["results"][1]["p_value_across_slices"] == pytest.approx(
        min(1.0, 3 * raw[0])
    )


def test_the_warning_names_the_chance_of_a_false_slice_and_the_small_ones(api, experiment):
    body = api.get(results_url(experiment, "?dimension=device")).json()
    chance = chance_of_a_false_positive(0.05, 3)
    assert "3 slices of device" in body["warning"]
    assert f"about {chance:.0%} of the time" in body["warning"]
    assert "Holm" in body["warning"]
    assert (
        f"Small slices (tablet): an arm has fewer than {SMALL_SLICE_USERS} users" in body["warning"]
    )


def test_the_experiments_own_correction_is_used_across_slices(api, experiment):
    type(experiment).objects.filter(pk=experiment.pk).update(correction="benjamini-hochberg")
    body = api.get(results_url(experiment, "?dimension=device&metric=signups")).json()
    assert body["correction"] == "benjamini-hochberg"
    from analytics.stats import benjamini_hochberg

    raw = [s["results"][1]["p_value"] for s in body["slices"]]
    got = [s["results"][1]["p_value_across_slices"] for s in body["slices"]]
    assert got == pytest.approx(list(benjamini_hochberg(raw)))


def test_a_dimension_with_no_rows_answers_no_slices_and_says_so(api, experiment):
    body = api.get(results_url(experiment, "?dimension=country")).json()
    assert body["slices"] == []
    assert body["warning"] == "No daily rows in these days for country."


def test_an_unknown_dimension_is_a_400_naming_it(api, experiment):
    response = api.get(results_url(experiment, "?dimension=devise"))
    assert response.status_code == 400
    text = response.content.decode()
    assert "dimension" in text and "devise" in text and "device, country" in text


def test_the_slices_are_never_stored(api, experiment):
    before = list(Result.objects.order_by("pk").values_list("pk", "look", "users"))
    api.get(results_url(experiment, "?dimension=device"))
    api.get(results_url(experiment, f"?from={DAY1}&to={DAY1}"))
    assert list(Result.objects.order_by("pk").values_list("pk", "look", "users")) == before


def test_without_the_new_parameters_the_answer_is_the_stored_list(api, experiment):
    body = api.get(results_url(experiment)).json()
    assert isinstance(body, list)
    treatment = next(r for r in body if r["variant"] == "b" and r["metric"] == "signups")
    assert treatment["look"] == 1 and treatment["users"] == 2950


def test_the_slices_as_csv(api, experiment):
    response = api.get(results_url(experiment, "?dimension=device&metric=signups&format=csv"))
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("dimension,dimension_value,from,to,metric,variant,")
    assert len(lines) == 1 + 3 * 2
    assert lines[1].startswith("device,mobile,,,signups,control,")


# --- date windows ---------------------------------------------------------------------------


def test_a_window_is_the_engine_on_the_days_sums(api, experiment):
    response = api.get(results_url(experiment, f"?from={DAY2}&to={DAY3}&metric=signups"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["from"], body["to"], body["dimension"], body["correction"]) == (
        DAY2.isoformat(),
        DAY3.isoformat(),
        None,
        None,
    )
    [overall] = body["slices"]
    assert overall["value"] is None
    day2 = [v for (d, _), v in SLICES.items() if d == DAY2]
    control = (sum(v[0] for v in day2) + 900, sum(v[1] for v in day2) + 90)
    treatment = (sum(v[2] for v in day2) + 900, sum(v[3] for v in day2) + 117)
    expected = _engine(control, treatment)
    row = overall["results"][1]
    assert (overall["results"][0]["users"], row["users"]) == (control[0], treatment[0])
    assert row["p_value"] == pytest.approx(expected["p_value"])
    assert row["lift"] == pytest.approx(expected["lift"])
    assert row["significant"] == expected["significant"]
    assert body["warning"] is None


def test_a_window_and_a_dimension_together(api, experiment):
    body = api.get(results_url(experiment, f"?dimension=device&to={DAY1}&metric=signups")).json()
    assert [s["value"] for s in body["slices"]] == ["mobile", "desktop"]
    mobile = body["slices"][0]["results"][1]
    expected = _engine((600, 60), (600, 84))
    assert mobile["p_value"] == pytest.approx(expected["p_value"])


def test_an_open_window_reads_from_the_start_or_to_the_end(api, experiment):
    body = api.get(results_url(experiment, f"?from={DAY3}&metric=signups")).json()
    assert body["slices"][0]["results"][1]["users"] == 900


@pytest.mark.parametrize(
    ("query", "name", "words"),
    [
        ("?from=2026-13-01", "from", "is not a date"),
        ("?to=yesterday", "to", "is not a date"),
        ("?from=20261102", "from", "is not a date"),
        ("?from=2026-11-05&to=2026-11-02", "from", "is after"),
        ("?dimension=device&history=1", "history", "does not combine"),
    ],
)
def test_a_bad_window_is_a_400_naming_the_parameter(api, experiment, query, name, words):
    response = api.get(results_url(experiment, query))
    assert response.status_code == 400
    text = response.content.decode()
    assert f'"{name}"' in text and words in text


def test_the_selector_refuses_a_reader_without_the_right(experiment, outsider):
    from growthops.errors import NotPermitted

    with pytest.raises(NotPermitted):
        results_computed(experiment, user=outsider, dimension="device")


# --- the results panel ----------------------------------------------------------------------

HTMX_SLICES = {"HX-Request": "true", "HX-Target": "slices"}


def panel_url(experiment, query=""):
    return f"/experiments/{experiment.pk}/results/{query}"


def test_the_panel_offers_the_dimensions_and_draws_no_slices_until_asked(
    client, analyst, experiment
):
    client.force_login(analyst)
    html = client.get(panel_url(experiment)).content.decode()
    assert 'id="slices-form"' in html and 'hx-target="#slices"' in html
    assert '<option value="device">device</option>' in html
    assert 'data-slice="' not in html


def test_the_slices_fragment_shows_each_slice_with_corrected_p_and_the_warning(
    client, analyst, experiment, api, django_assert_max_num_queries
):
    client.force_login(analyst)
    with django_assert_max_num_queries(12):
        response = client.get(panel_url(experiment, "?dimension=device"), headers=HTMX_SLICES)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="slices"')  # the fragment alone
    assert "Results" not in html.split("slices-scope")[0]
    assert 'id="slices-warning"' in html and "3 slices of device" in html
    body = api.get(results_url(experiment, "?dimension=device&metric=signups")).json()
    for piece in body["slices"]:
        row = piece["results"][1]
        cell = re.search(
            rf'data-slice="{piece["value"]}" data-variant="b">.*?data-p-corrected>([^<]*)<',
            html,
            re.S,
        )
        assert cell is not None
        p = row["p_value_across_slices"]
        assert cell.group(1).strip() == ("< 0.0001" if p < 0.0001 else f"{p:.4f}")


def test_the_whole_page_with_a_window_shows_the_overall_table(client, analyst, experiment):
    client.force_login(analyst)
    html = client.get(panel_url(experiment, f"?from={DAY3}&to={DAY3}")).content.decode()
    assert 'data-slice="" data-variant="b"' in html
    assert f'value="{DAY3}"' in html  # the form keeps what was asked
    assert "not stored as the experiment's results" in html


def test_a_bad_window_on_the_page_says_why_next_to_the_field(client, analyst, experiment):
    client.force_login(analyst)
    html = client.get(
        panel_url(experiment, f"?from={DAY3}&to={DAY1}"), headers=HTMX_SLICES
    ).content.decode()
    assert "is after the last day" in html
    assert "data-slice" not in html


def test_the_observations_list_shows_a_dimensions_rows_when_asked(api, experiment):
    url = f"/api/v1/experiments/{experiment.pk}/observations/?dimension=device&date_after={DAY2}"
    body = api.get(url).json()
    assert body["count"] == 6
    assert {(r["dimension"], r["dimension_value"]) for r in body["results"]} == {
        ("device", "mobile"),
        ("device", "desktop"),
        ("device", "tablet"),
    }
    refused = api.get(f"/api/v1/experiments/{experiment.pk}/observations/?dimension=devise")
    assert refused.status_code == 400 and "dimension" in refused.content.decode()


def test_the_slices_are_read_in_a_few_queries(api, experiment, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        assert api.get(results_url(experiment, "?dimension=device")).status_code == 200
