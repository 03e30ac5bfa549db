"""The approval queue's completed tests (docs/decisions.md): each with its rule's verdict, its
progress and any reason it was completed early; the CMO's final decision in place, with a
reason when it goes against the verdict."""

import datetime as dt
from html import unescape

import pytest

from analytics.analysis.pipeline import experiments_analyse
from analytics.ingest.observations import observations_ingest
from experiments.lifecycle import experiment_complete
from experiments.models import StatusChange
from roles.models import Role
from tests.analytics.helpers import START, binomial_rows, running_experiment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

QUEUE = "/review/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def completed_early(owner, analyst, *, name="Logo wall"):
    """1,400 of 29,502 planned users, B ahead by 20 % (p = 0.23): completed with a reason."""
    experiment = running_experiment(owner, name=name)
    rows = binomial_rows((START + dt.timedelta(days=1)).isoformat(), (700, 70), (700, 84))
    observations_ingest(experiment_id=experiment.pk, actor=analyst, rows=rows)
    experiments_analyse([experiment.pk])
    experiment_complete(
        experiment_id=experiment.pk,
        actor=owner,
        analysis="B is ahead.",
        recommendation="scale",
        override_reason="The agency's contract ends this week.",
    )
    experiment.refresh_from_db()
    return experiment


def conclude(client, experiment, decision, **extra):
    data = {
        "expected_status": "completed",
        "decision": decision,
        "outcome": "won" if decision == "scale" else "inconclusive",
        "learnings": "Logos may help; not shown yet.",
        **extra,
    }
    return client.post(f"/review/{experiment.pk}/conclude/", data, **HTMX)


def test_a_completed_test_waits_with_its_verdict_and_the_override(client, cmo, operator, analyst):
    experiment = completed_early(operator, analyst)
    client.force_login(cmo)

    html = unescape(client.get(QUEUE).content.decode())

    assert 'id="decisions"' in html and "1 completed test" in html
    card = html[html.index(f'data-decide="{experiment.pk}"') :]
    assert 'data-verdict="keep_running"' in card
    assert "the test stopped before the rule could decide" in card
    assert "1,400 of 29,502 planned users (5 %)." in card
    assert "Scale — B is ahead." in card
    assert (
        f"Completed early by {operator}</strong>, against the planned sample (1,400 of 29,502 "
        "users): “The agency's contract ends this week.”"
    ) in card
    assert "deciding iterate or abandon follows it" in card


def test_concluding_against_the_verdict_in_place_needs_a_reason(client, cmo, operator, analyst):
    experiment = completed_early(operator, analyst)
    client.force_login(cmo)

    refused = conclude(client, experiment, "scale")

    html = unescape(refused.content.decode())
    assert refused.status_code == 200 and 'class="card decision-card"' in html
    assert f"Deciding “Scale” for “{experiment.name}” goes against the verdict" in html
    assert 'id="decide-' in html and "Logos may help; not shown yet." in html  # kept as typed
    experiment.refresh_from_db()
    assert experiment.status == "completed"
    assert not StatusChange.objects.filter(experiment=experiment, step="conclude").exists()

    done = conclude(client, experiment, "scale", override_reason="Sales wants the logos now.")

    assert "is concluded and its learnings are recorded" in done.content.decode()
    change = StatusChange.objects.get(experiment=experiment, step="conclude")
    assert change.overridden == ["the verdict (Keep running)"]
    assert (change.actor, change.override_reason) == (cmo, "Sales wants the logos now.")


def test_a_decision_that_follows_the_verdict_needs_no_reason(client, cmo, operator, analyst):
    experiment = completed_early(operator, analyst)
    client.force_login(cmo)
    assert (
        "is concluded and its learnings are recorded"
        in conclude(client, experiment, "iterate").content.decode()
    )
    assert StatusChange.objects.get(experiment=experiment, step="conclude").overridden == []


def test_the_completed_tests_cost_the_same_queries_for_2_or_8(
    client, cmo, analyst, django_assert_max_num_queries
):
    for n in range(2):
        completed_early(UserFactory(role=Role.OPERATOR), analyst, name=f"Early {n}")
    client.force_login(cmo)
    with django_assert_max_num_queries(30) as few:
        client.get(QUEUE)
    for n in range(6):
        completed_early(UserFactory(role=Role.OPERATOR), analyst, name=f"Later {n}")
    with django_assert_max_num_queries(30) as many:
        html = client.get(QUEUE).content.decode()
    assert html.count('class="card decision-card"') == 8
    assert len(many.captured_queries) == len(few.captured_queries)
