"""What a slices' upload changes: the slices, not the analysed results; and which dimensions an
experiment's results may be read by (the organisation's list and those of its stored rows)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from analytics.ingest.observations import observations_ingest
from analytics.models import AnalysisState, Observation, Result
from tests.analytics.helpers import START, running_experiment
from tests.api.problems import problem_errors

pytestmark = pytest.mark.django_db

DAY1, DAY2 = START + dt.timedelta(days=1), START + dt.timedelta(days=2)


def _row(day, variant, users, conversions, **extra):
    return {
        "date": day.isoformat(),
        "variant": variant,
        "metric": "signups",
        "users": users,
        "conversions": conversions,
        **extra,
    }


def _slices(day, device, control, treatment):
    where = {"dimension": "device", "dimension_value": device}
    return [_row(day, "control", *control, **where), _row(day, "b", *treatment, **where)]


@pytest.fixture
def analysed(operator, analyst, django_capture_on_commit_callbacks):
    """Overall rows of one day, analysed once (look 1)."""
    experiment = running_experiment(operator)
    with django_capture_on_commit_callbacks(execute=True):
        observations_ingest(
            experiment_id=experiment.pk,
            actor=analyst,
            rows=[_row(DAY1, "control", 1000, 100), _row(DAY1, "b", 1000, 130)],
        )
    return experiment


def url(experiment, tail):
    return f"/api/v1/experiments/{experiment.pk}/{tail}"


def _looks(experiment):
    return sorted(set(Result.objects.filter(experiment=experiment).values_list("look", flat=True)))


def test_a_batch_of_slices_alone_queues_no_analysis_and_adds_no_look(
    api, analysed, django_capture_on_commit_callbacks
):
    before = AnalysisState.objects.get(experiment=analysed)
    assert (before.data_version, before.stale, _looks(analysed)) == (1, False, [1])
    rows = _slices(DAY1, "mobile", (600, 60), (600, 90)) + _slices(
        DAY1, "desktop", (400, 40), (400, 40)
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post(url(analysed, "observations/"), rows, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {"written": 4, "results_stale": False, "analysis_task_id": None}
    assert callbacks == []  # nothing queued on commit
    after = AnalysisState.objects.get(experiment=analysed)
    assert (after.data_version, after.analysed_version, after.stale) == (1, 1, False)
    assert _looks(analysed) == [1]
    assert Observation.objects.filter(experiment=analysed).sliced("device").count() == 4
    # The slices are read at once, from the rows just stored.
    body = api.get(url(analysed, "results/?dimension=device&metric=signups")).json()
    assert {s["value"]: s["users"] for s in body["slices"]} == {"mobile": 1200, "desktop": 800}


def test_a_batch_with_an_overall_row_is_analysed_as_before(
    api, analysed, django_capture_on_commit_callbacks
):
    rows = [_row(DAY2, "control", 1000, 100), _row(DAY2, "b", 1000, 120)]
    rows += _slices(DAY2, "mobile", (600, 60), (600, 80))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post(url(analysed, "observations/"), rows, format="json")
    assert response.status_code == 201
    assert response.json()["results_stale"] is True and response.json()["analysis_task_id"]
    assert len(callbacks) == 1
    state = AnalysisState.objects.get(experiment=analysed)
    assert (state.data_version, state.analysed_version, state.stale) == (2, 2, False)
    assert _looks(analysed) == [1, 2]
    treatment = Result.objects.get(experiment=analysed, look=2, variant__key="b")
    assert treatment.users == 2000  # the overall rows only, not the slice counted again


def test_the_upload_page_says_a_slices_batch_leaves_the_results(client, analysed, analyst):
    client.force_login(analyst)
    text = (
        "date,variant,metric,users,conversions,sum,sum_squares,dimension,dimension_value\n"
        f"{DAY1},control,signups,600,60,,,device,mobile\n"
        f"{DAY1},b,signups,600,90,,,device,mobile\n"
    )
    upload = SimpleUploadedFile("slices.csv", text.encode(), content_type="text/csv")
    response = client.post(f"/experiments/{analysed.pk}/upload/", {"file": upload}, follow=True)
    page = response.content.decode()
    assert "Saved 2 rows; only slices&#x27; rows: read them by dimension below." in page
    assert AnalysisState.objects.get(experiment=analysed).data_version == 1


def test_a_dimension_of_the_stored_rows_stays_readable_when_the_list_changes(
    api, analysed, analyst, settings
):
    observations_ingest(
        experiment_id=analysed.pk,
        actor=analyst,
        rows=_slices(DAY1, "mobile", (600, 60), (600, 90)),
    )
    settings.RESULT_DIMENSIONS = ["country", "channel"]  # "device" left the list
    response = api.get(url(analysed, "results/?dimension=device"))
    assert response.status_code == 200, response.content
    assert [s["value"] for s in response.json()["slices"]] == ["mobile"]
    listed = api.get(url(analysed, "observations/?dimension=device"))
    assert listed.status_code == 200 and listed.json()["count"] == 2
    refused = api.get(url(analysed, "results/?dimension=browser"))
    assert refused.status_code == 400
    [message] = problem_errors(refused)["dimension"]
    assert "the known ones: device, country, channel" in message
    refused = api.get(url(analysed, "observations/?dimension=browser"))
    assert "the known ones: device, country, channel" in problem_errors(refused)["dimension"][0]


def test_an_empty_dimension_is_a_400_naming_it(api, analysed):
    response = api.get(url(analysed, "results/?dimension="))
    assert response.status_code == 400
    assert "is empty" in problem_errors(response)["dimension"][0]


def test_a_list_dimension_with_no_rows_answers_no_slices(api, analysed):
    body = api.get(url(analysed, "results/?dimension=country")).json()
    assert body["slices"] == [] and body["warning"] == "No daily rows in these days for country."
