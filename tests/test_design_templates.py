"""The design page with templates and suggestions (docs/decisions.md, "Templates"): start from a
template, its locked fields read-only; baseline, daily traffic and a realistic MDE suggested
from past tests, each with where it came from; the decision rule's settings."""

import datetime as dt
from html import unescape

import pytest

from analytics.ingest.observations import observations_ingest
from analytics.models import Result
from experiments import services
from experiments.models import Experiment
from experiments.suggestions import design_suggestions
from tests.analytics.helpers import START, binomial_rows
from tests.design_setup import PREVIEW, create_url, design_post, design_refs, edit_url
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def refs():
    return design_refs()


@pytest.fixture
def landing(cmo, refs):
    return services.template_create(
        actor=cmo,
        name="Landing page",
        kind="landing_page",
        primary_metric=refs["metric"],
        guardrail_metrics=[refs["guardrail"]],
        alpha=0.1,
        power=0.9,
        mde=0.05,
        min_run_weeks=2,
        decision_rule={"guardrail_tolerance": 0.03, "ship_chance": 0.9},
        locked_fields=["alpha", "guardrail_metrics", "decision_rule"],
    )


def test_the_page_offers_the_templates_and_starts_from_the_chosen_one(
    client,
    operator,
    refs,
    landing,
):
    client.force_login(operator)
    assert 'id="template-choice"' in client.get(create_url(refs)).content.decode()

    response = client.get(f"{create_url(refs)}?template={landing.pk}")

    form = response.context["form"]
    assert (form["alpha"].value(), form["power"].value(), form["mde"].value()) == (0.1, 0.9, 0.05)
    assert form["min_run_weeks"].value() == 2
    assert form["rule_guardrail_tolerance"].value() == 0.03
    assert form["rule_ship_chance"].value() == 0.9
    # Locked: shown, not editable, and said so.
    assert form.fields["alpha"].disabled and form.fields["guardrail_metrics"].disabled
    assert form.fields["rule_ship_chance"].disabled and not form.fields["power"].disabled
    html = unescape(response.content.decode())
    assert f'<input type="hidden" name="template" value="{landing.pk}">' in html
    assert 'data-locked="alpha"' in html and "Locked by the template “Landing page”." in html
    assert 'data-locked="power"' not in html
    assert "The template “Landing page”'s default MDE." in html


def test_a_design_saved_from_a_template_keeps_the_locked_values(
    client,
    operator,
    refs,
    landing,
):
    client.force_login(operator)
    # A locked field sent with another value (a forced form) keeps the template's.
    data = design_post(refs, template=landing.pk, alpha="0.2", power="0.85", mde="0.08")
    response = client.post(create_url(refs), data)

    experiment = Experiment.objects.get()
    assert response.status_code == 302
    assert experiment.template == landing
    assert (experiment.alpha, experiment.power, experiment.mde) == (0.1, 0.85, 0.08)
    assert list(experiment.guardrail_metrics.all()) == [refs["guardrail"]]
    assert experiment.decision_rule["ship_chance"] == 0.9

    # Its edit page shows the same fields read-only.
    form = client.get(edit_url(experiment)).context["form"]
    assert form.fields["alpha"].disabled and not form.fields["mde"].disabled


def test_the_rules_settings_are_saved_and_refused_beside_their_fields(
    client,
    operator,
    refs,
):
    client.force_login(operator)
    refused = client.post(create_url(refs), design_post(refs, rule_ship_chance="2"))
    assert refused.status_code == 200
    assert refused.context["form"].errors["rule_ship_chance"] == ["Must lie in (0.5, 0.9999]."]
    assert not Experiment.objects.exists()

    data = design_post(
        refs, rule_guardrail_tolerance="0.01", rule_abandon_when_mde_ruled_out="on", min_run_weeks=3
    )
    assert client.post(create_url(refs), data).status_code == 302
    experiment = Experiment.objects.get()
    assert experiment.min_run_weeks == 3
    assert experiment.decision_rule == {
        "guardrail_tolerance": 0.01,
        "guardrail_tolerances": {},
        "ship_chance": 0.95,
        "max_expected_loss": 0.005,
        "abandon_when_mde_ruled_out": True,
        "apply_false_win_level": False,
    }


def test_baseline_and_traffic_are_suggested_from_the_segments_recent_tests(
    client,
    operator,
    analyst,
    refs,
):
    past = ExperimentFactory(segment=refs["segment"], primary_metric=refs["metric"])
    put_in_status(past, "running", start_date=START)
    for day in (1, 2):
        rows = binomial_rows(
            (START + dt.timedelta(days=day)).isoformat(),
            control=(1_000, 90),
            treatment=(1_000, 99),
            metric=refs["metric"].key,
        )
        observations_ingest(experiment_id=past.pk, actor=analyst, rows=rows)
    client.force_login(operator)

    response = client.get(create_url(refs))

    # Control: 180 of 2,000 = 9 %; all arms: 4,000 users over two days = 2,000 a day.
    form = response.context["form"]
    assert (form["baseline"].value(), form["daily_traffic"].value()) == (0.09, 2000)
    html = response.content.decode()
    where = "the 1 latest experiment on “Sign-up conversion” in “Self-serve trials”"
    assert f"The control arms of {where}: 180 conversions of 2,000 users (9.00 %)." in html
    assert f"Users a day, all arms, in {where} (2,000), averaged." in html


def test_the_suggestions_follow_the_metric_and_segment_chosen_in_the_form(
    client, operator, analyst, refs
):
    past = ExperimentFactory(segment=refs["segment"], primary_metric=refs["metric"])
    put_in_status(past, "running", start_date=START)
    rows = binomial_rows(
        (START + dt.timedelta(days=1)).isoformat(),
        control=(1_000, 90),
        treatment=(1_000, 99),
        metric=refs["metric"].key,
    )
    observations_ingest(experiment_id=past.pk, actor=analyst, rows=rows)
    client.force_login(operator)
    page = client.get(create_url(refs)).content.decode()
    assert 'id="id_baseline_sd_source" data-source="baseline_sd" hidden' in page  # none yet

    # Revenue per visitor has no past data here: the conversion metric's lines go away.
    other = client.post(
        create_url(refs), design_post(refs, primary_metric=refs["revenue"].pk), **PREVIEW
    ).content.decode()
    assert "Sign-up conversion" not in other
    for name in ("baseline", "baseline_sd", "daily_traffic"):
        assert f'id="id_{name}_source" data-source="{name}" hx-swap-oob="true" hidden>' in other

    # Back on the conversion metric with another baseline typed: its suggestion, to use.
    back = client.post(
        create_url(refs), design_post(refs, baseline="0.5", daily_traffic="2000"), **PREVIEW
    ).content.decode()
    baseline = unescape(back.split('id="id_baseline_source"')[1].split("</div>")[0])
    assert "Suggested: 0.09 — The control arms of the 1 latest experiment" in baseline
    assert 'data-use-suggestion="baseline" data-value="0.09">Use 0.09</button>' in baseline
    traffic = back.split('id="id_daily_traffic_source"')[1].split("</div>")[0]
    assert "Suggested: 2,000" in traffic and "data-use-suggestion" not in traffic  # as typed
    assert list(Experiment.objects.all()) == [past]  # a preview saves nothing
    # They read every team's tests: an agency partner's people, who see only theirs, get none.
    agency_person = UserFactory(role="partner", partner=PartnerFactory())
    pair = {"segment": refs["segment"], "metric": refs["metric"]}
    assert set(design_suggestions(**pair, user=operator)) >= {"baseline", "daily_traffic"}
    assert design_suggestions(**pair, user=agency_person) == {}


def test_a_realistic_mde_is_suggested_from_the_segments_shrunk_lifts(
    client,
    operator,
    refs,
):
    # Three concluded tests in the segment, lifts +2 %, +4 %, +9 %, each ± 1.96 × 1 %.
    # Shrinkage: mean 5 %, τ² = var 0.0013 − s² 0.0001 = 0.0012, B = 12/13, so the shrunk
    # lifts are 2.23 %, 4.08 %, 8.69 %; their upper quartile (numpy's, linear) is 6.38 %.
    for lift in (0.02, 0.04, 0.09):
        done = put_in_status(
            ExperimentFactory(segment=refs["segment"], primary_metric=refs["metric"]), "concluded"
        )
        Result.objects.create(
            experiment=done, metric=refs["metric"], variant=done.variants.get(key="b"),
            look=1, users=10_000, lift=lift, lift_ci_low=lift - 0.0195996,
            lift_ci_high=lift + 0.0195996, alpha=0.05,
        )  # fmt: skip
    client.force_login(operator)

    html = unescape(client.get(create_url(refs)).content.decode())

    assert (
        "The hypothesis's expected MDE. Suggested: +6.4 % — The upper quartile of the shrunk "
        "lifts of 3 concluded tests in “Self-serve trials”: a larger MDE bets on beating three "
        "in four of them."
    ) in html
