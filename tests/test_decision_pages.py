"""The experiment page's decision rule, verdict and progress, and steps that say before the
click when they go against the plan (docs/decisions.md)."""

import datetime as dt
from html import unescape

import pytest

from analytics.analysis.pipeline import experiments_analyse
from analytics.ingest.observations import observations_ingest
from analytics.models import Result
from experiments.models import StatusChange
from tests.analytics.helpers import START, binomial_rows, running_experiment
from tests.experiments.helpers import put_in_status

pytestmark = pytest.mark.django_db


def measured(experiment, analyst, control, treatment):
    rows = binomial_rows((START + dt.timedelta(days=1)).isoformat(), control, treatment)
    observations_ingest(experiment_id=experiment.pk, actor=analyst, rows=rows)
    experiments_analyse([experiment.pk])
    return experiment


def page(client, experiment) -> str:
    return unescape(client.get(f"/experiments/{experiment.pk}/").content.decode())


def complete(client, experiment, **extra):
    data = {"expected_status": "running", "analysis": "B is ahead.", "recommendation": "scale"}
    return client.post(f"/experiments/{experiment.pk}/steps/complete/", {**data, **extra})


def test_the_page_shows_the_rule_the_verdict_and_the_progress(client, operator, analyst):
    experiment = measured(running_experiment(operator), analyst, (700, 70), (700, 84))
    client.force_login(analyst)

    html = page(client, experiment)

    assert "Ship when Signups wins with p below α 0.05 at the planned sample." in html
    assert "It runs at least 1 full week." in html
    assert 'data-verdict="keep_running"' in html and ">Keep running</span>" in html
    assert "stopped before the rule could decide" not in html  # it is still running
    assert "1,400 of 29,502 planned users (5 %)." in html
    assert 'class="sample-progress" value="0.047454"' in html  # 1,400 / 29,502
    assert 'data-step="complete"' not in html  # the analyst takes no steps


def test_completing_early_says_why_before_the_click_and_needs_a_reason(client, operator, analyst):
    experiment = measured(running_experiment(operator), analyst, (700, 70), (700, 84))
    client.force_login(operator)

    html = page(client, experiment)
    assert (
        f"Completing “{experiment.name}” now goes against its plan: it has not reached the "
        "planned sample (1,400 of 29,502 users). Give a reason to complete anyway."
    ) in html
    assert 'name="override_reason"' in html

    refused = complete(client, experiment)
    assert refused.status_code == 200
    form = {step: form for step, _, form in refused.context["steps"]}["complete"]
    assert form.errors["override_reason"][0].startswith(f"Completing “{experiment.name}” now")
    experiment.refresh_from_db()
    assert experiment.status == "running"

    done = complete(client, experiment, override_reason="The page is rebuilt on Monday.")
    assert done.status_code == 302
    html = page(client, experiment)
    assert (
        "<strong>Override</strong> of the planned sample (1,400 of 29,502 users): “The page is "
        "rebuilt on Monday.”"
    ) in html


def test_at_its_planned_sample_the_page_says_it_may_stop(client, operator, analyst):
    experiment = measured(running_experiment(operator), analyst, (15_000, 1_500), (15_000, 1_800))
    client.force_login(operator)

    html = page(client, experiment)

    assert 'data-verdict="ship"' in html
    assert "It may stop now: B wins on Signups" in html
    assert 'name="override_reason"' not in html
    assert complete(client, experiment).status_code == 302
    assert StatusChange.objects.get(experiment=experiment, step="complete").overridden == []


def test_the_conclude_form_says_which_decisions_follow_the_verdict(client, cmo, operator, analyst):
    experiment = measured(running_experiment(operator), analyst, (15_000, 1_500), (15_000, 1_800))
    put_in_status(experiment, "completed", end_date=START + dt.timedelta(days=20))
    client.force_login(cmo)

    html = page(client, experiment)

    assert "The rule's verdict is <strong>Ship</strong>: deciding scale follows it" in html
    assert 'id="conclude-override_reason"' in html
    # What the step refuses without is marked; the reason, needed only against the verdict, not.
    for name in ("decision", "outcome", "learnings"):
        assert f'class="form-label required" for="conclude-{name}"' in html
    assert 'class="form-label" for="conclude-override_reason"' in html


def test_no_conversions_in_either_arm_give_no_interval_and_say_so(client, operator, analyst):
    experiment = measured(running_experiment(operator), analyst, (700, 0), (700, 0))
    treatment = Result.objects.get(experiment=experiment, metric__key="signups", is_control=False)
    assert (treatment.diff, treatment.diff_ci_low, treatment.diff_ci_high) == (0.0, None, None)
    client.force_login(operator)

    panel = unescape(client.get(f"/experiments/{experiment.pk}/results/").content.decode())

    assert "B: no conversions yet on signups, in either arm; nothing to compare." in panel
    assert "No conversions yet in either arm." in page(client, experiment)
