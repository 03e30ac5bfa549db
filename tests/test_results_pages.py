"""The experiment page and its results panel: grouped results, the method's p-value, the
reading, the charts (their data is the stored history), SRM, and the complete / conclude forms."""

import json
import re

import pytest

from analytics.models import Alert, Result, SrmAcknowledgement
from experiments.lifecycle import experiment_complete
from experiments.models import Experiment, Hypothesis, Metric, StatusChange
from growthops.errors import ValidationFailed
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, MetricFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def running(owner, **fields) -> Experiment:
    signups = MetricFactory(key="signups", name="Sign-up conversion")
    revenue = MetricFactory(
        key="revenue", name="Revenue per user", kind=Metric.Kind.MEAN, unit="EUR"
    )
    unsubscribes = MetricFactory(
        key="unsubscribes", name="Unsubscribe rate", direction=Metric.Direction.LOWER
    )
    experiment = ExperimentFactory(owner=owner, primary_metric=signups, **fields)
    experiment.secondary_metrics.add(revenue)
    experiment.guardrail_metrics.add(unsubscribes)
    return put_in_status(experiment, "running", start_date="2026-11-01")


def store(experiment, metric_key, look, *, control_mean, mean, lift, ci, users=1000, **numbers):
    """One look of one metric: control and B, as the pipeline stores them."""
    metric = Metric.objects.get(key=metric_key)
    control, treatment = experiment.variants.order_by("-is_control", "key")
    common = {
        "experiment": experiment,
        "metric": metric,
        "look": look,
        "alpha": experiment.alpha,
        "method": experiment.method,
        "srm_p_value": numbers.pop("srm_p_value", 0.5),
    }
    Result.objects.create(
        variant=control, is_control=True, users=users, mean=control_mean, **common
    )
    return Result.objects.create(
        variant=treatment,
        users=users,
        mean=mean,
        lift=lift,
        lift_ci_low=ci[0],
        lift_ci_high=ci[1],
        **numbers,
        **common,
    )


def panel(client, experiment) -> str:
    response = client.get(f"/experiments/{experiment.pk}/results/", headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def row(html, metric_key, variant="b") -> str:
    card = html.split(f'data-metric="{metric_key}"', 1)[1].split('class="card mb-3"', 1)[0]
    return card.split(f'data-variant="{variant}"', 1)[1].split("</tr>", 1)[0]


def test_a_sequential_test_shows_its_always_valid_p_not_the_fixed_horizon_one(client, operator):
    experiment = running(operator, method="sequential", sequential_tau=0.05)
    store(
        experiment, "signups", 1, control_mean=0.10, mean=0.11, lift=0.1, ci=(-0.01, 0.21),
        p_value=0.085, p_value_adjusted=0.085, sequential_p_value=1.0,
    )  # fmt: skip
    client.force_login(operator)
    html = panel(client, experiment)
    assert "Always-valid p" in html
    assert "data-p>1.0000</td>" in row(html, "signups")
    assert "0.0850" not in html
    assert "not significant yet (always-valid test" in html


def test_a_bayesian_test_shows_the_chance_to_beat_control_and_expected_loss(client, operator):
    experiment = running(operator, method="bayesian")
    store(
        experiment, "signups", 1, control_mean=0.10, mean=0.12, lift=0.2, ci=(0.1, 0.3),
        p_value_adjusted=0.001, chance_to_beat_control=0.993, expected_loss=0.00012,
    )  # fmt: skip
    client.force_login(operator)
    html = panel(client, experiment)
    assert "Chance to beat control" in html and "Expected loss" in html
    b = row(html, "signups")
    assert "data-p>99.3%</td>" in b and "0.00012" in b
    assert "99 % chance to beat control, an improvement." in html


def test_results_are_grouped_with_values_lifts_and_readings(client, operator):
    experiment = running(operator)
    store(
        experiment, "signups", 2, control_mean=0.10, mean=0.1086, lift=0.086, ci=(0.058, 0.114),
        p_value_adjusted=0.0001,
    )  # fmt: skip
    store(
        experiment, "revenue", 2, control_mean=5.0, mean=5.1, lift=0.02, ci=(-0.03, 0.07),
        p_value_adjusted=0.4, cuped=True, users=12_500,
    )  # fmt: skip
    store(
        experiment, "unsubscribes", 2, control_mean=0.004, mean=0.005, lift=0.25, ci=(0.1, 0.4),
        p_value_adjusted=0.001,
    )  # fmt: skip
    client.force_login(operator)
    html = panel(client, experiment)
    # Revenue was read with CUPED, and says so; counts read with thousands separators.
    revenue = html.split('data-metric="revenue"')[1].split("</thead>")[0]
    assert "data-cuped>" in revenue and "CUPED</" in revenue
    assert "data-cuped" not in html.split('data-metric="signups"')[1].split("</thead>")[0]
    assert '<td class="num">12,500</td>' in row(html, "revenue")

    groups = re.findall(r'data-group="(\w+)"', html)
    assert groups == ["primary", "secondary", "guardrail"]
    primary = html.split('data-group="primary"')[1].split('data-group="secondary"')[0]
    assert 'data-metric="signups"' in primary and 'data-metric="revenue"' not in primary
    assert "data-value>10.86%</td>" in row(html, "signups")
    assert "data-value>5.10 EUR</td>" in row(html, "revenue")
    assert "data-lift>+8.6%</td>" in row(html, "signups")
    assert (
        "B raises sign-up conversion by 8.6 % (+5.8 % to +11.4 %); significant, an improvement."
        in html
    )
    # The interval's colour follows the metric's direction: green, grey, red.
    assert 'data-tone="good"' in row(html, "signups")
    assert "interval interval-good" in row(html, "signups")
    assert "interval interval-neutral" in row(html, "revenue")
    assert "interval interval-bad" in row(html, "unsubscribes")
    assert "unsubscribe rate by 25.0 % (+10.0 % to +40.0 %); significant, a deterioration." in html


def test_the_interval_bar_is_drawn_around_zero_on_one_scale(client, operator):
    experiment = running(operator)
    store(experiment, "signups", 1, control_mean=0.1, mean=0.11, lift=0.1, ci=(-0.1, 0.3))
    client.force_login(operator)
    bar = row(panel(client, experiment), "signups")
    # Reach = 0.3 × 1.15; half width 74 around x = 80.
    half, reach = 74, 0.3 * 1.15
    low, high, estimate = (round(80 + v / reach * half, 2) for v in (-0.1, 0.3, 0.1))
    assert f'x="{low}"' in bar and f'width="{round(high - low, 2)}"' in bar
    assert f'x1="{estimate}"' in bar and 'x1="80.0"' in bar
    assert "style=" not in bar  # the CSP refuses inline styles


def test_the_charts_draw_the_stored_history(client, operator):
    experiment = running(operator)
    stored = [
        store(experiment, "signups", look, control_mean=0.10 + look / 1000, mean=0.11 + look / 500,
              lift=0.1 * look, ci=(0.1 * look - 0.05, 0.1 * look + 0.07))
        for look in (1, 2, 3)
    ]  # fmt: skip
    client.force_login(operator)
    html = panel(client, experiment)

    cumulative = chart_data(html, f"chart-cumulative-{experiment.pk}")
    control_means = list(
        Result.objects.filter(experiment=experiment, is_control=True, metric__key="signups")
        .order_by("look")
        .values_list("mean", flat=True)
    )
    assert [t["name"] for t in cumulative["data"]] == ["control", "b"]
    assert cumulative["data"][0]["x"] == [1, 2, 3]
    assert cumulative["data"][0]["y"] == control_means
    assert cumulative["data"][1]["y"] == [r.mean for r in stored]

    lift = chart_data(html, f"chart-lift-{experiment.pk}")
    (trace,) = lift["data"]
    assert trace["name"] == "b vs control"
    assert trace["y"] == [r.lift for r in stored]
    assert trace["error_y"]["array"] == pytest.approx([r.lift_ci_high - r.lift for r in stored])
    assert trace["error_y"]["arrayminus"] == pytest.approx([r.lift - r.lift_ci_low for r in stored])
    assert "Relative lift of Sign-up conversion with its interval" in html
    assert "Once the planned sample is in, the test of the difference decides" in html


def test_a_sequential_tests_lift_chart_says_its_intervals_do_not_decide(client, operator):
    experiment = running(operator, method="sequential", sequential_tau=0.05)
    for look in (1, 2):
        store(experiment, "signups", look, control_mean=0.1, mean=0.12, lift=0.2, ci=(0.05, 0.35),
              sequential_p_value=0.06)  # fmt: skip
    client.force_login(operator)
    html = panel(client, experiment)
    assert "the always-valid p-value decides, not whether the interval crosses zero" in html
    assert "clear result" not in html


def test_no_chart_before_a_second_look(client, operator):
    experiment = running(operator)
    store(experiment, "signups", 1, control_mean=0.1, mean=0.11, lift=0.1, ci=(0.0, 0.2))
    client.force_login(operator)
    assert "data-chart=" not in panel(client, experiment)


def chart_data(html: str, dom_id: str) -> dict:
    match = re.search(rf'<script type="application/json" id="{dom_id}-data">(.*?)</script>', html)
    assert match, f"no chart {dom_id}"
    return json.loads(match.group(1))


def test_the_panel_needs_the_same_queries_for_2_or_60_looks(
    client, operator, django_assert_max_num_queries
):
    experiment = running(operator)
    for look in (1, 2):
        for key in ("signups", "revenue", "unsubscribes"):
            store(experiment, key, look, control_mean=0.1, mean=0.11, lift=0.1, ci=(0, 0.2))
    client.force_login(operator)
    with django_assert_max_num_queries(20) as few:
        panel(client, experiment)
    for look in range(3, 61):
        for key in ("signups", "revenue", "unsubscribes"):
            store(experiment, key, look, control_mean=0.1, mean=0.11, lift=0.1, ci=(0, 0.2))
    with django_assert_max_num_queries(20) as many:
        assert "Look 60," in panel(client, experiment)
    assert len(many.captured_queries) == len(few.captured_queries)


# --- sample-ratio mismatch -------------------------------------------------------------


def mismatched(owner) -> Experiment:
    experiment = running(owner)
    store(
        experiment, "signups", 1, control_mean=0.1, mean=0.13, lift=0.3, ci=(0.2, 0.4),
        p_value_adjusted=0.0001, srm_p_value=0.00002,
    )  # fmt: skip
    return experiment


def test_an_srm_hides_the_reading_until_acknowledged(client, operator, operator2, cmo, marketer):
    experiment = mismatched(operator)
    for user in (operator2, marketer):
        client.force_login(user)
        html = panel(client, experiment)
        assert 'id="srm-banner"' in html and 'id="results"' not in html
        assert "2e-05" in html and 'id="srm-acknowledge-form"' not in html
    client.force_login(cmo)
    assert 'id="srm-acknowledge-form"' in panel(client, experiment)

    client.force_login(operator)
    url = f"/experiments/{experiment.pk}/srm/acknowledge/"
    response = client.post(url, {"note": "Bot traffic filtered in B only."}, headers=HTMX)
    html = response.content.decode()
    assert 'id="srm-banner"' not in html and 'id="results"' in html
    assert "Bot traffic filtered in B only." in html and "acknowledged by Omar" in html
    ack = SrmAcknowledgement.objects.get(experiment=experiment)
    assert (ack.acknowledged_by, ack.look, ack.srm_p_value) == (operator, 1, 0.00002)
    # Again: a no-op, not a second row.
    client.post(url, {"note": "again"})
    assert SrmAcknowledgement.objects.get(experiment=experiment).note == (
        "Bot traffic filtered in B only."
    )


@pytest.mark.parametrize("who", ["operator2", "marketer", "analyst"])
def test_a_forced_acknowledgement_is_refused(client, cast, operator, who):
    experiment = mismatched(operator)
    client.force_login(cast[who])
    response = client.post(f"/experiments/{experiment.pk}/srm/acknowledge/", headers=HTMX)
    assert response.status_code == 403
    assert not SrmAcknowledgement.objects.exists()


def test_there_is_nothing_to_acknowledge_without_a_mismatch(client, operator):
    experiment = running(operator)
    store(experiment, "signups", 1, control_mean=0.1, mean=0.11, lift=0.1, ci=(0, 0.2))
    client.force_login(operator)
    response = client.post(f"/experiments/{experiment.pk}/srm/acknowledge/", follow=True)
    assert "no sample-ratio mismatch to acknowledge" in response.content.decode()
    assert not SrmAcknowledgement.objects.exists()


def test_completing_over_an_unacknowledged_srm_needs_a_confirmation(client, operator):
    experiment = mismatched(operator)
    with pytest.raises(ValidationFailed) as refused:
        experiment_complete(
            experiment_id=experiment.pk, actor=operator, analysis="B won.", recommendation="scale"
        )
    assert "confirm to complete anyway" in refused.value.errors["confirm_srm"][0]

    client.force_login(operator)
    # The page asks for the confirmation before the first click, and says why.
    page = client.get(f"/experiments/{experiment.pk}/").content.decode()
    assert 'name="confirm_srm"' in page and "data-srm-unresolved" in page
    assert "It may stop now" not in page
    step = f"/experiments/{experiment.pk}/steps/complete/"
    data = {"expected_status": "running", "analysis": "B won by 30 %.", "recommendation": "scale"}
    response = client.post(step, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "B won by 30 %.</textarea>" in html  # kept as typed
    assert 'name="confirm_srm"' in html and "confirm to complete anyway" in html
    assert "It may stop now" not in html
    experiment.refresh_from_db()
    assert experiment.status == "running" and experiment.analysis == ""

    # Its 2,000 users are short of the planned sample too: the form asks for the reason.
    assert 'name="override_reason"' in html and "the planned sample (2,000 of 29,502 users)" in html
    early = "The pricing change ships on Monday."
    response = client.post(step, {**data, "confirm_srm": "on", "override_reason": early})
    assert response.status_code == 302
    experiment.refresh_from_db()
    assert (experiment.status, experiment.analysis) == ("completed", "B won by 30 %.")


def test_an_acknowledged_srm_needs_no_confirmation(operator):
    experiment = mismatched(operator)
    SrmAcknowledgement.objects.create(
        experiment=experiment, look=1, srm_p_value=0.00002, acknowledged_by=operator
    )
    experiment_complete(
        experiment_id=experiment.pk,
        actor=operator,
        analysis="B won.",
        recommendation="scale",
        override_reason="Stopped before the planned sample.",
    )
    experiment.refresh_from_db()
    assert experiment.status == "completed"


def test_an_acknowledged_srm_is_not_asked_about_again_on_the_page(client, operator):
    experiment = mismatched(operator)
    SrmAcknowledgement.objects.create(
        experiment=experiment, look=1, srm_p_value=0.00002, acknowledged_by=operator
    )
    client.force_login(operator)
    html = client.get(f"/experiments/{experiment.pk}/").content.decode()
    assert 'data-step="complete"' in html and 'name="confirm_srm"' not in html
    assert "data-srm-unresolved" not in html


def test_a_split_broken_past_any_p_value_is_asked_about_before_completing(client, operator):
    experiment = running(operator)
    store(experiment, "signups", 1, control_mean=0.1, mean=0.13, lift=0.3, ci=(0.2, 0.4),
          p_value_adjusted=0.0001, srm_p_value=0.0)  # fmt: skip
    client.force_login(operator)
    html = client.get(f"/experiments/{experiment.pk}/").content.decode()
    assert 'name="confirm_srm"' in html and "(SRM p &lt; 0.0001)" in html


def test_the_page_asks_no_confirmation_without_a_mismatch(client, operator):
    experiment = running(operator)
    client.force_login(operator)
    html = client.get(f"/experiments/{experiment.pk}/").content.decode()
    assert 'data-step="complete"' in html and 'name="confirm_srm"' not in html


# --- messages and forms that match the state ---------------------------------------------


def test_prompts_to_complete_stop_once_it_is_completed(client, operator):
    experiment = running(operator)
    Alert.objects.create(
        experiment=experiment, kind="sample_reached", message="It can be completed."
    )
    Alert.objects.create(
        experiment=experiment, kind="overdue", message="Complete it or say why it continues."
    )
    client.force_login(operator)
    html = panel(client, experiment)
    assert "It can be completed." in html and "Complete it or say why" in html
    put_in_status(experiment, "completed", end_date="2026-11-20")
    html = panel(client, experiment)
    assert "It can be completed." not in html and "Complete it or say why" not in html


def test_the_dates_follow_the_state(client, operator):
    experiment = running(operator)
    client.force_login(operator)
    html = client.get(f"/experiments/{experiment.pk}/").content.decode()
    assert re.search(r'id="dates">Started 1 Nov 2026 · running, day \d+</dd>', html)
    put_in_status(experiment, "completed", end_date="2026-11-20")
    html = client.get(f"/experiments/{experiment.pk}/").content.decode()
    assert 'id="dates">Started 1 Nov 2026 · ended 20 Nov 2026</dd>' in html


def test_a_refused_conclusion_keeps_what_was_typed(client, cmo, operator):
    experiment = put_in_status(
        running(operator), "completed", analysis="Won.", recommendation="iterate"
    )
    client.force_login(cmo)
    step = f"/experiments/{experiment.pk}/steps/conclude/"
    data = {"expected_status": "completed", "outcome": "won", "learnings": "Logos build trust."}
    response = client.post(step, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Decide scale, iterate or abandon." in html
    assert "Logos build trust.</textarea>" in html
    assert '<option value="won" selected>' in html
    experiment.refresh_from_db()
    assert experiment.status == "completed"
    assert not StatusChange.objects.filter(experiment=experiment, step="conclude").exists()


def test_concluding_with_iterate_puts_a_follow_up_in_the_backlog(client, cmo, operator):
    experiment = put_in_status(
        running(operator), "completed", analysis="Won.", recommendation="iterate"
    )
    client.force_login(cmo)
    response = client.post(
        f"/experiments/{experiment.pk}/steps/conclude/",
        {
            "expected_status": "completed",
            "decision": "iterate",
            "outcome": "won",
            "learnings": "Logos build trust; try reviews next.",
        },
    )
    assert response.status_code == 302
    experiment.refresh_from_db()
    assert (experiment.status, experiment.decision) == ("concluded", "iterate")
    follow_up = Hypothesis.objects.get(iterates_on_experiment=experiment)
    assert follow_up.title == f"Iterate on: {experiment.name}"
    assert follow_up.author == cmo
    page = client.get(f"/experiments/{experiment.pk}/").content.decode()
    assert f'href="/hypotheses/{follow_up.pk}/">Iterate on: {experiment.name}</a>' in page


def test_a_step_someone_may_not_take_is_a_403(client, marketer, operator):
    experiment = running(operator)
    client.force_login(marketer)
    response = client.post(
        f"/experiments/{experiment.pk}/steps/complete/",
        {"analysis": "x", "recommendation": "scale"},
    )
    assert response.status_code == 403
    experiment.refresh_from_db()
    assert experiment.status == "running"


def test_the_api_asks_the_same_confirmation(operator):
    from rest_framework.test import APIClient

    experiment = mismatched(operator)
    api = APIClient()
    api.force_authenticate(operator)
    url = f"/api/v1/experiments/{experiment.pk}/steps/complete/"
    body = {"expected_status": "running", "analysis": "B won.", "recommendation": "scale"}
    response = api.post(url, body, format="json")
    assert response.status_code == 400
    assert "confirm to complete anyway" in str(response.json())
    experiment.refresh_from_db()
    assert experiment.status == "running"
    confirmed = {**body, "confirm_srm": True, "override_reason": "Stopped before the sample."}
    assert api.post(url, confirmed, format="json").status_code == 200
    experiment.refresh_from_db()
    assert experiment.status == "completed"
