import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from analytics.models import AnalysisState, Observation, Result
from analytics.stats import AnalysisInputError, parse_request
from tests.analytics.helpers import binomial_rows, running_experiment
from tests.api.problems import problem_errors
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

CSV = """date,variant,metric,users,conversions,sum,sum_squares
2026-11-02,control,signups,1000,100,,
2026-11-02,b,signups,1000,120,,
2026-11-02,control,revenue,1000,,5200.5,81000
2026-11-02,b,revenue,1000,,5600,90000
"""


@pytest.fixture
def experiment(operator):
    return running_experiment(operator)


def url(experiment):
    return f"/api/v1/experiments/{experiment.pk}/observations/"


def test_a_json_batch_is_stored_and_analysed(api, experiment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post(url(experiment), binomial_rows(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert uuid.UUID(body.pop("analysis_task_id"))  # the analysis queued for this upload
    assert body == {"written": 2, "results_stale": True}
    stored = {
        (o.variant.key, o.users, o.conversions)
        for o in Observation.objects.select_related("variant")
    }
    assert stored == {("control", 1000, 100), ("b", 1000, 120)}
    # Tasks run in-process here: the analysis was queued on commit and cleared the stale flag.
    assert len(callbacks) == 1
    state = AnalysisState.objects.get(experiment=experiment)
    assert (state.data_version, state.analysed_version, state.stale) == (1, 1, False)
    treatment = Result.objects.get(experiment=experiment, variant__key="b")
    assert treatment.look == 1 and treatment.users == 1000
    assert treatment.diff == pytest.approx(0.02)
    assert treatment.lift == pytest.approx(0.2)


def test_a_csv_batch_is_stored(api, experiment):
    response = api.generic("POST", url(experiment), CSV, content_type="text/csv")
    assert response.status_code == 201, response.content
    revenue = Observation.objects.get(variant__key="control", metric__key="revenue")
    assert (revenue.users, revenue.conversions, revenue.sum, revenue.sum_squares) == (
        1000,
        None,
        5200.5,
        81000,
    )


def test_resending_a_day_replaces_it(api, experiment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api.post(url(experiment), binomial_rows(treatment=(1000, 120)), format="json")
    with django_capture_on_commit_callbacks(execute=True):
        api.post(url(experiment), binomial_rows(treatment=(1100, 150)), format="json")
    assert Observation.objects.count() == 2
    assert Observation.objects.get(variant__key="b").conversions == 150
    assert AnalysisState.objects.get(experiment=experiment).data_version == 2
    assert sorted(set(Result.objects.values_list("look", flat=True))) == [1, 2]


BAD_ROWS = [
    ({"variant": "zzz"}, "variant", "unknown variant"),
    ({"metric": "nope"}, "metric", "unknown metric"),
    ({"users": -5}, "users", "must not be negative"),
    ({"users": "-5"}, "users", "must not be negative (got -5)"),  # as a CSV cell reads
    ({"users": "many"}, "users", "is not a whole number"),
    ({"conversions": 1001}, "conversions", "more than the 1000 users"),
    ({"date": "2026-10-01"}, "date", "outside the experiment"),
    ({"date": "yesterday"}, "date", "is not a date"),
    ({"sum": 4.0}, "sum", "conversion metric"),
    ({"covariate_sum": 3.0}, "covariate_sum_squares", "CUPED needs"),
    ({"colour": "red"}, "colour", "unknown field"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_ROWS)
def test_one_bad_row_rejects_the_batch_and_writes_nothing(api, experiment, change, field, message):
    rows = binomial_rows()
    rows[1] = {**rows[1], **change}
    response = api.post(url(experiment), rows, format="json")

    assert response.status_code == 400
    assert "nothing was saved" in response.json()["detail"]
    errors = problem_errors(response)
    assert any(field in problem and message in problem for problem in errors["row 2"]), errors
    assert "row 1" not in errors
    assert not Observation.objects.exists()
    assert not AnalysisState.objects.exists()


def test_every_bad_row_is_listed(api, experiment):
    rows = binomial_rows() + [
        {"date": "2026-11-02", "variant": "b", "metric": "signups", "users": 10, "conversions": 1},
        {"date": "2026-11-03", "variant": "b", "metric": "revenue", "users": 10, "conversions": 1},
    ]
    rows[0]["users"] = -1
    errors = problem_errors(api.post(url(experiment), rows, format="json"))
    assert set(errors) == {"row 1", "row 3", "row 4"}
    assert "duplicates row 2" in errors["row 3"][0]
    assert "mean metric" in " ".join(errors["row 4"])


def test_mean_rows_must_be_possible(api, experiment):
    rows = [
        {
            "date": "2026-11-02",
            "variant": "b",
            "metric": "revenue",
            "users": 10,
            "sum": 100,
            "sum_squares": 50,
        }
    ]
    errors = problem_errors(api.post(url(experiment), rows, format="json"))
    assert errors["row 1"] == [
        "sum_squares: must be at least sum²/users (a variance cannot be negative)"
    ]


# Sums over 10 users (Σy = 100 and, with CUPED, Σx = 20, Σx² = 50), judged by an upload and
# by the engine's JSON contract: the same verdict and message, rounding included.
SUMS = [
    ({"sum_squares": 1_200}, None),
    ({"sum_squares": 1_000 * (1 - 5e-10)}, None),
    (
        {"sum_squares": 999.99},
        ("sum_squares", "must be at least sum²/users (a variance cannot be negative)"),
    ),
    ({"sum_squares": 1_200, "covariate_sum": 20, "covariate_sum_squares": 50, "cross_sum": 240}, None),
    (
        {"sum_squares": 1_200, "covariate_sum": 20, "covariate_sum_squares": 50, "cross_sum": 250},
        ("cross_sum", "is inconsistent with the other sums (a correlation beyond ±1)"),
    ),
    (
        {"sum_squares": 1_200, "covariate_sum": 20, "covariate_sum_squares": 39, "cross_sum": 200},
        (
            "covariate_sum_squares",
            "must be at least covariate_sum²/users (a variance cannot be negative)",
        ),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("sums", "problem"), SUMS)
def test_uploads_and_the_engine_judge_sums_alike(api, experiment, sums, problem):
    sums = {"users": 10, "sum": 100, **sums}
    row = {"date": "2026-11-02", "variant": "b", "metric": "revenue", **sums}
    response = api.post(url(experiment), [row], format="json")
    request = {
        "metric_type": "mean",
        "variants": [{"name": "control", **sums}, {"name": "b", **sums}],
    }

    if problem is None:
        assert response.status_code == 201, response.content
        assert parse_request(request).sum_squares == (sums["sum_squares"],) * 2
    else:
        field, message = problem
        assert response.status_code == 400
        assert problem_errors(response) == {"row 1": [f"{field}: {message}"]}
        with pytest.raises(AnalysisInputError) as refused:
            parse_request(request)
        assert refused.value.errors == {
            f"variants[0].{field}": message,
            f"variants[1].{field}": message,
        }
        assert not Observation.objects.exists()


def test_a_bad_csv_header_is_refused(api, experiment):
    response = api.generic("POST", url(experiment), "day,variant,users\n", content_type="text/csv")
    assert response.status_code == 400
    assert (
        "missing column(s): date, metric, conversions, sum, sum_squares"
        in response.json()["detail"]
    )
    assert "unknown column(s): day" in response.json()["detail"]


def test_an_empty_batch_is_refused(api, experiment):
    assert api.post(url(experiment), [], format="json").status_code == 400


@pytest.mark.parametrize(
    ("who", "code"), [("marketer", 403), ("cmo", 403), ("operator", 201), ("analyst", 201)]
)
def test_only_analysts_and_operators_upload(cast, experiment, who, code):
    client = APIClient()
    client.force_authenticate(cast[who])
    assert client.post(url(experiment), binomial_rows(), format="json").status_code == code
    assert Observation.objects.exists() == (code == 201)


def test_anyone_signed_in_reads_observations_and_results(
    api, marketer, experiment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api.post(url(experiment), binomial_rows(), format="json")
    client = APIClient()
    client.force_authenticate(marketer)
    page = client.get(url(experiment)).json()
    assert page["count"] == 2
    assert [(r["variant"], r["users"]) for r in page["results"]] == [("b", 1000), ("control", 1000)]
    results = client.get(f"/api/v1/experiments/{experiment.pk}/results/").json()
    assert [(r["variant"], r["is_control"]) for r in results] == [("control", True), ("b", False)]
    assert results[1]["significant"] is False and results[1]["srm_detected"] is False
    assert APIClient().get(url(experiment)).status_code == 401


@pytest.mark.parametrize("path", ["observations/", "results/", "results/?history=1"])
def test_head_and_options_answer_as_get_does(marketer, outsider, experiment, path):
    """HEAD and OPTIONS read what GET reads, with GET's ability: a marketer gets them, someone
    without a role (or signed out) is refused as GET refuses them. Nothing is written."""
    link = f"/api/v1/experiments/{experiment.pk}/{path}"
    client = APIClient()
    client.force_authenticate(marketer)
    get = client.get(link)

    head = client.head(link)
    options = client.options(link)

    assert (get.status_code, head.status_code, options.status_code) == (200, 200, 200)
    assert head.content == b"" and head["Content-Type"] == get["Content-Type"]
    assert options.json()["name"] in ("Observations", "Results")
    assert "GET" in options["Allow"]
    for refused, code in ((APIClient(), 401), (client_for(outsider), 403)):
        assert refused.head(link).status_code == code
        assert refused.options(link).status_code == code
    assert not Observation.objects.exists()


def test_the_import_command_loads_a_csv(tmp_path, analyst, experiment):
    path = tmp_path / "obs.csv"
    path.write_text(CSV)
    call_command("import_observations", str(path), "--experiment", str(experiment.pk))
    assert Observation.objects.filter(experiment=experiment).count() == 4


def test_the_import_command_refuses_a_bad_file_and_writes_nothing(tmp_path, analyst, experiment):
    path = tmp_path / "obs.csv"
    path.write_text(CSV.replace("1000,120", "1000,1200"))
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_observations", str(path), "--experiment", str(experiment.pk))
    assert not Observation.objects.exists()


def test_the_upload_form_on_the_experiment_page(
    client, analyst, experiment, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(analyst)
    page = client.get(f"/experiments/{experiment.pk}/")
    panel_url = f"/experiments/{experiment.pk}/results/"
    assert panel_url.encode() in page.content  # the page loads its results panel from here
    assert b'id="upload-form"' in client.get(panel_url, headers={"HX-Request": "true"}).content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/experiments/{experiment.pk}/upload/",
            {"file": SimpleUploadedFile("obs.csv", CSV.encode(), content_type="text/csv")},
            follow=True,
        )
    assert "Saved 4 rows" in response.content.decode()
    panel = client.get(panel_url, headers={"HX-Request": "true"})
    assert b'id="results"' in panel.content and b"<html" not in panel.content
    # Without htmx the same URL is a page of its own.
    assert b'id="results"' in client.get(panel_url).content
    assert Observation.objects.count() == 4


def test_the_upload_form_is_refused_to_marketers(client, marketer, experiment):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(marketer)
    assert b'id="upload-form"' not in client.get(f"/experiments/{experiment.pk}/results/").content
    response = client.post(
        f"/experiments/{experiment.pk}/upload/", {"file": SimpleUploadedFile("o.csv", CSV.encode())}
    )
    assert response.status_code == 403
    assert not Observation.objects.exists()


def test_an_operator_uploads_only_to_their_own_experiments(operator2, experiment):
    client = APIClient()
    client.force_authenticate(operator2)
    response = client.post(url(experiment), binomial_rows(), format="json")
    assert response.status_code == 403 and "Only the owner" in response.json()["detail"]
    assert not Observation.objects.exists()


def test_no_data_is_accepted_after_the_decision(api, experiment):
    from tests.experiments.helpers import put_in_status

    put_in_status(experiment, "concluded")
    response = api.post(url(experiment), binomial_rows(), format="json")
    assert response.status_code == 409 and "concluded" in response.json()["detail"]
    assert not Observation.objects.exists()


def test_an_unreadable_csv_is_a_clear_400(api, experiment):
    body = CSV.splitlines()[0] + "\n" + "2026-11-02,control,signups," + "9" * 140_000 + ",1,,\n"
    response = api.generic("POST", url(experiment), body, content_type="text/csv")
    assert response.status_code == 400
    assert "Unreadable CSV at line" in response.json()["detail"]


def test_the_upload_form_shows_only_where_an_upload_would_be_taken(
    client, operator, operator2, cmo, experiment
):
    from experiments.lifecycle import experiment_complete, experiment_conclude

    page = f"/experiments/{experiment.pk}/results/"
    client.force_login(operator2)  # an operator who does not own it
    assert b'id="upload-form"' not in client.get(page).content
    client.force_login(operator)
    assert b'id="upload-form"' in client.get(page).content
    experiment_complete(
        experiment_id=experiment.pk,
        actor=operator,
        analysis="Flat.",
        recommendation="abandon",
        override_reason="Stopped before the planned sample.",
    )
    assert b'id="upload-form"' in client.get(page).content  # data until the decision
    experiment_conclude(
        experiment_id=experiment.pk,
        actor=cmo,
        decision="abandon",
        outcome="inconclusive",
        learnings="No measurable effect.",
    )
    assert b'id="upload-form"' not in client.get(page).content


def test_the_results_panel_checks_who_is_asking(client, experiment):
    from roles.models import User

    panel = f"/experiments/{experiment.pk}/results/"
    assert client.get(panel).status_code == 302  # sign in first
    client.force_login(User.objects.create_user("no-role", role=""))
    assert client.get(panel).status_code == 403
