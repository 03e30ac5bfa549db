import pytest
from django.urls import reverse

from experiments.models import ExperimentStatus, StatusChange
from programme.portfolio.rollup import portfolio_rollup_run
from programme.portfolio.selectors import objective_ledger
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(reverse("programme:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_login_page_renders(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Sign in to GrowthOps" in response.content


def test_it_signs_in_and_out(client, marketer):
    response = client.post(
        reverse("login"), {"username": "marketer", "password": "pw-for-tests-only"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("programme:home")
    assert client.get(reverse("programme:home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("programme:home")).status_code == 302


def test_home_lists_objectives_and_experiments_by_status(client, marketer, operator):
    objective = ObjectiveFactory(name="Grow ARR")
    running = put_in_status(
        ExperimentFactory(name="Logo wall", owner=operator, objective=objective), "running"
    )
    ExperimentFactory(name="Short form", owner=operator)
    client.force_login(marketer)

    response = client.get(reverse("programme:home"))

    assert response.status_code == 200
    groups = {status: count for _, status, count in response.context["groups"]}
    assert (groups["running"], groups["draft"], groups["killed"]) == (1, 1, 0)
    assert "/experiments/?status=running" in response.content.decode()
    objectives = list(response.context["objectives"])
    grow = next(o for o in objectives if o.name == "Grow ARR")
    assert (grow.experiments_in_flight, grow.experiments_total) == (1, 1)
    assert running.name.encode() not in response.content  # counts only; the list has names


def test_home_highlights_the_operators_own_experiments(client, operator, operator2):
    ExperimentFactory(name="Mine", owner=operator)
    ExperimentFactory(name="Theirs", owner=operator2)
    client.force_login(operator)
    assert [e.name for e in client.get(reverse("programme:home")).context["mine"]] == ["Mine"]


def test_the_detail_page_offers_only_the_steps_the_viewer_may_take(client, operator, cmo, marketer):
    experiment = put_in_status(ExperimentFactory(owner=operator), "running")
    url = reverse("experiments:detail", args=[experiment.pk])

    client.force_login(operator)
    assert [s for s, *_ in client.get(url).context["steps"]] == ["pause", "complete"]
    client.force_login(cmo)
    assert [s for s, *_ in client.get(url).context["steps"]] == ["kill"]
    client.force_login(marketer)
    assert client.get(url).context["steps"] == []


def test_a_step_posted_from_the_page_runs_the_service(client, operator):
    experiment = put_in_status(ExperimentFactory(owner=operator), "running")
    client.force_login(operator)
    response = client.post(
        reverse("experiments:step", args=[experiment.pk, "pause"]),
        {"expected_status": "running"},
        follow=True,
    )
    experiment.refresh_from_db()
    assert experiment.status == "paused"
    assert f"Paused — “{experiment.name}” takes no new data" in response.content.decode()
    assert StatusChange.objects.filter(experiment=experiment, step="pause", actor=operator).exists()


def test_a_refused_step_shows_the_reason_and_changes_nothing(client, marketer, operator):
    experiment = put_in_status(ExperimentFactory(owner=operator), "running")
    client.force_login(marketer)
    response = client.post(reverse("experiments:step", args=[experiment.pk, "pause"]), follow=True)
    experiment.refresh_from_db()
    assert experiment.status == "running"
    assert "Only Growth operator, Agency partner may" in response.content.decode()
    assert not StatusChange.objects.exists()


def test_an_unknown_step_is_a_404(client, cmo, operator):
    experiment = ExperimentFactory(owner=operator)
    client.force_login(cmo)
    assert (
        client.post(reverse("experiments:step", args=[experiment.pk, "teleport"])).status_code
        == 404
    )


def test_healthz_reports_the_database_and_broker(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "in-process (no broker configured)",
    }


def test_healthz_says_unavailable_when_the_broker_does_not_answer(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["broker"].startswith("error")


def test_the_home_page_counts_in_flight_as_the_ledger_does(client, marketer, operator):
    objective = ObjectiveFactory(name="Grow ARR")
    for status in ExperimentStatus.values:
        put_in_status(ExperimentFactory(owner=operator, objective=objective), status)
    portfolio_rollup_run()
    client.force_login(marketer)

    response = client.get(reverse("programme:home"))

    home = next(o for o in response.context["objectives"] if o.pk == objective.pk)
    assert home.experiments_in_flight == objective_ledger(objective)["in_flight"] == 4
