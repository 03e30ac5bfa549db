"""An experiment whose rule applies the programme's false-win level (docs/decisions.md): its
verdict reads the level of the false-wins insight, which the programme hands over."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.stats.decision_rule import DecisionRule
from experiments.decisions import experiment_reading, false_win_level
from experiments.models import Experiment
from programme.models import InsightReport
from tests.analytics.helpers import START, running_experiment
from tests.experiments.helpers import put_in_status
from tests.experiments.test_guarded_calls import conclude, measured

pytestmark = pytest.mark.django_db

# 1,500 of 15,000 against 1,620 of 15,000: +8 %, p ≈ 0.023 — a win at α 0.05, not at 0.0013;
# the interval (about +1 % to +15 %) still holds the 10 % MDE, so without a win: inconclusive.
SIGNIFICANT_AT_ALPHA = {"control": (15_000, 1_500), "treatment": (15_000, 1_620)}


def store_level(next_level, stream=()):
    InsightReport.objects.create(
        name="false-wins",
        data={"next_level": next_level, "stream": list(stream)},
        computed_at=timezone.now(),
        seconds=0.1,
    )


def completed(operator, analyst, *, applies: bool):
    experiment = measured(running_experiment(operator), analyst, **SIGNIFICANT_AT_ALPHA)
    rule = DecisionRule(apply_false_win_level=applies).as_dict()
    return put_in_status(
        experiment, "completed", end_date=START + dt.timedelta(days=20), decision_rule=rule
    )


def test_the_level_is_the_next_decisions_or_the_one_it_was_tested_at(operator):
    experiment = running_experiment(operator)
    assert false_win_level(experiment) is None  # not computed yet
    store_level(0.0013, stream=[{"id": experiment.pk, "level": 0.0021}])
    assert false_win_level(experiment) == 0.0021
    other = Experiment(pk=experiment.pk + 1000)
    assert false_win_level(other) == 0.0013


def test_a_win_at_alpha_is_inconclusive_under_the_level(operator, analyst, cmo):
    store_level(0.0013)
    held = completed(operator, analyst, applies=True)
    verdict = experiment_reading(held).verdict
    assert verdict.action == "inconclusive"
    assert "above the programme's false-win level (0.0013): not a win." in verdict.reasons[0]
    assert verdict.reasons[-1] == (
        "A win must also pass the programme's false-win level: p ≤ 0.0013 (LORD++, the "
        "false-wins insight)."
    )
    api = APIClient()
    api.force_authenticate(cmo)
    body = api.get(f"/api/v1/experiments/{held.pk}/").json()
    assert body["verdict"]["action"] == "inconclusive"
    assert body["decision_rule"]["apply_false_win_level"] is True
    # Scaling it goes against the verdict.
    refused = conclude(api, held, "scale")
    assert refused.status_code == 409
    assert refused.json()["missing"] == ["the verdict (Inconclusive)"]


def test_the_same_data_ships_when_the_rule_does_not_apply_it(operator, analyst):
    store_level(0.0013)
    free = completed(operator, analyst, applies=False)
    verdict = experiment_reading(free).verdict
    assert verdict.action == "ship"
    assert not any("false-win" in reason for reason in verdict.reasons)
