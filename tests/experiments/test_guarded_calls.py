"""Calls against the plan or the verdict (docs/decisions.md, "Overrides"): completing a test
before its planned sample or minimum run time, concluding against the rule's verdict.

Without ``override_reason`` the API answers 409 naming what is missing and changes nothing;
with it the step is taken and the reason is on the timeline. The experiment's own answer
carries its decision rule, its verdict and its progress.

The experiments below are the factory's: baseline 10 %, MDE 10 %, α 0.05, power 0.8, two
equal arms → 14,751 users per arm, 29,502 in all, 15 days at 2,000 a day.
"""

import datetime as dt

import pytest
from django.utils import timezone

from analytics.analysis.pipeline import experiments_analyse
from analytics.ingest.observations import observations_ingest
from experiments.models import StatusChange
from tests.analytics.helpers import START, binomial_rows, running_experiment
from tests.experiments.helpers import put_in_status

pytestmark = pytest.mark.django_db

PLANNED = 29_502


def measured(experiment, analyst, *, control=(15_000, 1_500), treatment=(15_000, 1_800)):
    """One day of data on the primary metric (sign-ups), analysed now."""
    rows = binomial_rows((START + dt.timedelta(days=1)).isoformat(), control, treatment)
    observations_ingest(experiment_id=experiment.pk, actor=analyst, rows=rows)
    experiments_analyse([experiment.pk])
    return experiment


def complete(client, experiment, **extra):
    body = {"expected_status": experiment.status, "analysis": "B won.", "recommendation": "scale"}
    return client.post(
        f"/api/v1/experiments/{experiment.pk}/steps/complete/", {**body, **extra}, format="json"
    )


def conclude(client, experiment, decision, **extra):
    body = {
        "expected_status": "completed",
        "decision": decision,
        "outcome": "won" if decision == "scale" else "lost",
        "learnings": "Noted.",
    }
    return client.post(
        f"/api/v1/experiments/{experiment.pk}/steps/conclude/", {**body, **extra}, format="json"
    )


# --- completing before the plan ----------------------------------------------------------


def test_completing_before_the_planned_sample_needs_a_reason(anonymous_api, operator, analyst):
    experiment = measured(
        running_experiment(operator), analyst, control=(700, 70), treatment=(700, 84)
    )
    anonymous_api.force_authenticate(operator)

    refused = complete(anonymous_api, experiment)

    assert refused.status_code == 409
    assert refused.json() == {
        "type": "urn:growthops:problem:override-required",
        "title": "A reason to override is required.",
        "status": 409,
        "detail": f"Completing “{experiment.name}” now goes against its plan: it has not reached "
        f"the planned sample (1,400 of {PLANNED:,} users). To go ahead anyway, give a reason "
        "(override_reason).",
        "missing": [f"the planned sample (1,400 of {PLANNED:,} users)"],
    }
    experiment.refresh_from_db()
    assert experiment.status == "running" and experiment.analysis == ""
    assert not StatusChange.objects.filter(experiment=experiment).exists()

    done = complete(
        anonymous_api, experiment, override_reason="The pricing page is redesigned Monday."
    )

    assert done.status_code == 200 and done.json()["status"] == "completed"
    change = StatusChange.objects.get(experiment=experiment, step="complete")
    assert change.overridden == [f"the planned sample (1,400 of {PLANNED:,} users)"]
    assert change.override_reason == "The pricing page is redesigned Monday."
    timeline = anonymous_api.get(f"/api/v1/experiments/{experiment.pk}/timeline/").json()
    assert timeline[-1]["override_reason"] == "The pricing page is redesigned Monday."
    assert timeline[-1]["overridden"] == change.overridden


def test_completing_before_the_minimum_run_time_names_the_days(anonymous_api, operator, analyst):
    experiment = measured(running_experiment(operator, min_run_weeks=2), analyst)
    put_in_status(experiment, "running", start_date=timezone.localdate() - dt.timedelta(days=2))
    anonymous_api.force_authenticate(operator)

    refused = complete(anonymous_api, experiment)

    # 30,000 users are past the planned sample; day 3 of 14 is not past the minimum.
    assert refused.status_code == 409
    assert refused.json()["missing"] == ["the minimum run time (day 3 of 14)"]
    assert "minimum run time (day 3 of 14)" in refused.json()["detail"]
    assert (
        complete(anonymous_api, experiment, override_reason="Launch moved up.").status_code == 200
    )


def test_both_shortfalls_are_named_together(anonymous_api, operator):
    experiment = running_experiment(operator)
    put_in_status(experiment, "running", start_date=timezone.localdate())
    anonymous_api.force_authenticate(operator)
    assert complete(anonymous_api, experiment).json()["missing"] == [
        "the minimum run time (day 1 of 7)",
        f"the planned sample (0 of {PLANNED:,} users)",
    ]


def test_a_test_at_its_planned_sample_completes_without_a_reason(anonymous_api, operator, analyst):
    experiment = measured(running_experiment(operator), analyst)
    anonymous_api.force_authenticate(operator)

    response = complete(anonymous_api, experiment)

    assert response.status_code == 200
    change = StatusChange.objects.get(experiment=experiment, step="complete")
    assert (change.overridden, change.override_reason) == ([], "")


def test_a_reason_given_where_none_is_needed_is_not_an_override(anonymous_api, operator, analyst):
    experiment = measured(running_experiment(operator), analyst)
    anonymous_api.force_authenticate(operator)
    assert complete(anonymous_api, experiment, override_reason="Just in case.").status_code == 200
    assert StatusChange.objects.get(step="complete").override_reason == ""


def test_a_sequential_test_may_stop_at_its_always_valid_boundary(anonymous_api, operator, analyst):
    strong = {"control": (5_000, 500), "treatment": (5_000, 650)}  # always-valid p ≈ 0.0001
    experiment = measured(
        running_experiment(operator, method="sequential", sequential_tau=0.05), analyst, **strong
    )
    anonymous_api.force_authenticate(operator)
    assert complete(anonymous_api, experiment).status_code == 200


def test_a_sequential_test_short_of_its_boundary_needs_a_reason(anonymous_api, operator, analyst):
    weak = {"control": (5_000, 500), "treatment": (5_000, 510)}
    experiment = measured(
        running_experiment(operator, method="sequential", sequential_tau=0.05), analyst, **weak
    )
    anonymous_api.force_authenticate(operator)
    assert complete(anonymous_api, experiment).json()["missing"] == [
        f"the planned sample (10,000 of {PLANNED:,} users) or the always-valid boundary"
    ]


def test_a_bayesian_test_may_stop_at_its_threshold(anonymous_api, operator, analyst):
    strong = {"control": (5_000, 500), "treatment": (5_000, 650)}
    experiment = measured(running_experiment(operator, method="bayesian"), analyst, **strong)
    anonymous_api.force_authenticate(operator)

    reading = anonymous_api.get(f"/api/v1/experiments/{experiment.pk}/").json()["verdict"]

    assert reading["action"] == "ship"
    assert "100 % chance to beat control, expected loss 0.0 %" in reading["reasons"][0]
    assert complete(anonymous_api, experiment).status_code == 200


# --- concluding against the verdict ---------------------------------------------------------


def completed(operator, analyst, **data):
    experiment = measured(running_experiment(operator), analyst, **data)
    return put_in_status(experiment, "completed", end_date=START + dt.timedelta(days=20))


def test_concluding_against_the_verdict_needs_a_reason(anonymous_api, operator, analyst, cmo):
    experiment = completed(operator, analyst)  # B wins at the planned sample: "Ship"
    anonymous_api.force_authenticate(cmo)

    refused = conclude(anonymous_api, experiment, "abandon")

    assert refused.status_code == 409
    body = refused.json()
    assert body["missing"] == ["the verdict (Ship)"]
    assert body["detail"].startswith(
        f"Deciding “Abandon” for “{experiment.name}” goes against the verdict, “Ship”: B wins on "
    )
    assert body["detail"].endswith("To go ahead anyway, give a reason (override_reason).")
    experiment.refresh_from_db()
    assert experiment.status == "completed" and experiment.decision == ""

    done = conclude(
        anonymous_api, experiment, "abandon", override_reason="Support costs outweigh it."
    )

    assert done.status_code == 200
    change = StatusChange.objects.get(experiment=experiment, step="conclude")
    assert change.overridden == ["the verdict (Ship)"]
    assert change.override_reason == "Support costs outweigh it."


def test_a_decision_that_follows_the_verdict_needs_no_reason(anonymous_api, operator, analyst, cmo):
    experiment = completed(operator, analyst)
    anonymous_api.force_authenticate(cmo)
    assert conclude(anonymous_api, experiment, "scale").status_code == 200
    assert StatusChange.objects.get(step="conclude").overridden == []


def test_scaling_what_never_won_goes_against_the_verdict(anonymous_api, operator, analyst, cmo):
    flat = {"control": (15_000, 1_500), "treatment": (15_000, 1_510)}  # at best +5 %: abandon
    experiment = completed(operator, analyst, **flat)
    anonymous_api.force_authenticate(cmo)
    assert conclude(anonymous_api, experiment, "scale").json()["missing"] == [
        "the verdict (Abandon)"
    ]
    assert conclude(anonymous_api, experiment, "abandon").status_code == 200


# --- what the experiment's answer carries ---------------------------------------------------


def test_the_experiment_carries_its_rule_verdict_and_progress(anonymous_api, operator, analyst):
    experiment = measured(
        running_experiment(operator), analyst, control=(700, 70), treatment=(700, 84)
    )
    anonymous_api.force_authenticate(analyst)

    body = anonymous_api.get(f"/api/v1/experiments/{experiment.pk}/").json()

    assert body["decision_rule"] == {
        "guardrail_tolerance": 0.02,
        "guardrail_tolerances": {},
        "ship_chance": 0.95,
        "max_expected_loss": 0.005,
        "abandon_when_mde_ruled_out": True,
        "apply_false_win_level": False,
    }
    assert body["min_run_weeks"] == 1 and body["template"] is None
    days = (timezone.localdate() - START).days + 1
    assert body["progress"] == {
        "users": 1_400,
        "planned_users": PLANNED,
        "share": round(1_400 / PLANNED, 4),
        "days_running": days,
        "planned_days": 15,
    }
    # 70/700 against 84/700: se = √(.09/700 + .1056/700) = 0.016716, z = 0.02/se = 1.1965,
    # p = 0.232; lift +20 % ± 1.96 · √(.1056/700 + 1.2² · .09/700)/0.1 = ± 35.9 %.
    assert body["verdict"] == {
        "action": "keep_running",
        "reasons": [
            f"1,400 of {PLANNED:,} planned users (5 %).",
            "B: +20.0 % (−15.9 % to +55.9 %), p = 0.232 (α 0.05); a fixed-horizon test is read "
            "once, at its planned sample.",
        ],
    }
