"""The CMO's approval queue: what each card shows, who may decide, and decisions in place."""

import pytest

from experiments.design import experiment_design
from experiments.lifecycle import experiment_submit
from experiments.models import Experiment, StatusChange
from programme.models import PortfolioRollup
from roles.models import Role
from tests.factories import ExperimentFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db

QUEUE = "/review/"
HTMX = {"HX-Request": "true"}


def in_review(owner, **fields) -> Experiment:
    """A complete design, submitted by its owner with a note."""
    experiment = ExperimentFactory(owner=owner, **fields)
    experiment_submit(experiment_id=experiment.pk, actor=owner, note="Ready: traffic is there.")
    experiment.refresh_from_db()
    return experiment


def step_url(experiment, step):
    return f"/review/{experiment.pk}/{step}/"


def test_it_shows_each_design_with_what_the_decision_needs(client, cmo, operator):
    segment = SegmentFactory(name="Trials", monthly_reach=300_000)  # 10,000 a day
    experiment = in_review(
        operator,
        name="Logo wall",
        segment=segment,
        daily_traffic=2000,
        reach_per_year=100_000,
        value_per_conversion=50,
    )
    client.force_login(cmo)
    html = client.get(QUEUE).content.decode()

    design = experiment_design(experiment)
    assert f'data-figure="sample">{design.sample_size_per_variant:,} / variant' in html
    assert f'data-figure="duration">{design.duration_days} days' in html
    assert 'data-figure="segment-share">20.0%' in html  # 2,000 of 10,000 a day
    # P(win) 0.3 (no roll-up yet) × 100,000 × baseline 0.1 × MDE 0.1 × 50 = 15,000 a year.
    assert 'data-figure="forecast">€15,000' in html
    assert "Ready: traffic is there." in html
    assert experiment.hypothesis.title in html
    assert "Hurting users or revenue" in html  # kill reasons with readable labels


def test_the_forecast_uses_the_teams_win_rate_from_the_rollup(client, cmo, operator):
    experiment = in_review(operator, reach_per_year=100_000, value_per_conversion=50)
    PortfolioRollup.objects.create(
        computed_on="2026-11-30",
        dimension="team",
        key=str(experiment.segment.owner_team_id),
        label="Growth",
        data={"p_win": 0.5},
    )
    client.force_login(cmo)
    assert 'data-figure="forecast">€25,000' in client.get(QUEUE).content.decode()


@pytest.mark.parametrize(
    ("role", "status"),
    [("cmo", 200), ("operator", 403), ("marketer", 403), ("analyst", 403)],
)
def test_only_reviewers_open_the_queue(client, cast, role, status):
    client.force_login(cast[role])
    assert client.get(QUEUE).status_code == status


def test_it_needs_a_sign_in(client):
    assert client.get(QUEUE).status_code == 302


@pytest.mark.parametrize("step", ["approve", "request_changes", "kill"])
def test_a_forced_post_from_an_operator_is_refused_and_changes_nothing(
    client, operator, operator2, step
):
    experiment = in_review(operator)
    client.force_login(operator2)
    response = client.post(
        step_url(experiment, step), {"note": "x", "reason": "other"}, headers=HTMX
    )
    assert response.status_code == 403
    experiment.refresh_from_db()
    assert experiment.status == "in_review"
    assert StatusChange.objects.filter(experiment=experiment).count() == 1  # the submit


def test_the_cmo_never_sees_approve_on_their_own_experiment(client, cmo):
    own = ExperimentFactory(owner=cmo)
    Experiment.objects.filter(pk=own.pk).update(status="in_review")
    client.force_login(cmo)
    html = client.get(QUEUE).content.decode()
    assert f'id="review-{own.pk}"' in html
    assert step_url(own, "approve") not in html
    assert step_url(own, "kill") in html
    assert "someone else approves it" in html
    # Forced, it is refused and nothing changes.
    assert client.post(step_url(own, "approve"), headers=HTMX).status_code == 403
    own.refresh_from_db()
    assert own.status == "in_review"


def test_the_cmo_approves_in_place_with_htmx(client, cmo, operator):
    experiment = in_review(operator)
    other = in_review(operator)
    client.force_login(cmo)
    response = client.post(
        step_url(experiment, "approve"), {"expected_status": "in_review"}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert f'id="review-{experiment.pk}"' in html and 'data-status="approved"' in html
    # The navbar's count follows (out of band): one design still waits.
    assert 'id="review-count"' in html and 'hx-swap-oob="true">1</span>' in html
    experiment.refresh_from_db()
    assert experiment.status == "approved"
    change = StatusChange.objects.filter(experiment=experiment).latest("id")
    assert (change.step, change.actor) == ("approve", cmo)
    other.refresh_from_db()
    assert other.status == "in_review"


def test_without_htmx_a_decision_returns_to_the_queue(client, cmo, operator):
    experiment = in_review(operator)
    client.force_login(cmo)
    response = client.post(step_url(experiment, "approve"), {"expected_status": "in_review"})
    assert response.status_code == 302 and response["Location"] == QUEUE
    experiment.refresh_from_db()
    assert experiment.status == "approved"


def test_sending_back_needs_a_note_and_keeps_the_card(client, cmo, operator):
    experiment = in_review(operator)
    client.force_login(cmo)
    response = client.post(
        step_url(experiment, "request_changes"), {"expected_status": "in_review"}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Say what needs to change." in html
    assert 'data-step="request_changes" open' in html  # the form stays open
    experiment.refresh_from_db()
    assert experiment.status == "in_review"
    assert StatusChange.objects.filter(experiment=experiment).count() == 1

    response = client.post(
        step_url(experiment, "request_changes"),
        {"expected_status": "in_review", "note": "Tighten the MDE to 5 %."},
        headers=HTMX,
    )
    assert 'data-status="draft"' in response.content.decode()
    experiment.refresh_from_db()
    assert experiment.status == "draft"
    assert StatusChange.objects.filter(experiment=experiment).latest("id").note == (
        "Tighten the MDE to 5 %."
    )


@pytest.mark.parametrize("htmx", [True, False])
def test_a_refused_kill_keeps_what_was_typed(client, cmo, operator, htmx):
    experiment = in_review(operator)
    client.force_login(cmo)
    response = client.post(
        step_url(experiment, "kill"),
        {"expected_status": "in_review", "note": "Duplicates the pricing test."},
        headers=HTMX if htmx else {},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose a reason" in html
    assert "Duplicates the pricing test.</textarea>" in html
    assert ("<html" in html) is not htmx
    experiment.refresh_from_db()
    assert experiment.status == "in_review" and experiment.kill_reason == ""


def test_the_cmo_kills_with_a_reason_and_a_note(client, cmo, operator):
    experiment = in_review(operator)
    client.force_login(cmo)
    response = client.post(
        step_url(experiment, "kill"),
        {"expected_status": "in_review", "reason": "duplicate", "note": "Same as #12."},
        headers=HTMX,
    )
    assert 'data-status="killed"' in response.content.decode()
    experiment.refresh_from_db()
    assert (experiment.status, experiment.kill_reason, experiment.kill_note) == (
        "killed",
        "duplicate",
        "Same as #12.",
    )


def test_a_decision_on_a_stale_view_is_refused(client, cmo, operator):
    experiment = in_review(operator)
    Experiment.objects.filter(pk=experiment.pk).update(status="approved")
    client.force_login(cmo)
    response = client.post(
        step_url(experiment, "kill"),
        {"expected_status": "in_review", "reason": "other", "note": "No longer needed."},
        headers=HTMX,
    )
    assert "reload and decide again" in response.content.decode()
    experiment.refresh_from_db()
    assert experiment.status == "approved"


def test_the_navbar_counts_what_waits_for_the_cmo_only(client, cmo, operator):
    in_review(operator)
    in_review(operator)
    own = ExperimentFactory(owner=cmo)
    Experiment.objects.filter(pk=own.pk).update(status="in_review")
    client.force_login(cmo)
    html = client.get("/experiments/").content.decode()
    assert 'id="review-link"' in html
    assert 'aria-label="2 waiting">2</span>' in html  # their own is not theirs to approve
    client.force_login(operator)
    assert 'id="review-link"' not in client.get("/experiments/").content.decode()


def test_an_empty_queue_says_so(client, cmo):
    client.force_login(cmo)
    assert "Nothing waits for review" in client.get(QUEUE).content.decode()


def test_the_queue_needs_the_same_queries_for_3_or_12_designs_and_pages_by_10(
    client, cmo, operator, django_assert_max_num_queries
):
    for _ in range(3):
        in_review(operator)
    client.force_login(cmo)
    with django_assert_max_num_queries(16) as few:
        client.get(QUEUE)
    for _ in range(9):
        in_review(UserFactory(role=Role.OPERATOR))
    with django_assert_max_num_queries(16) as many:
        assert client.get(QUEUE).content.decode().count('class="card review-card"') == 10
    assert len(many.captured_queries) == len(few.captured_queries)
    assert client.get(QUEUE + "?page=2").content.decode().count('class="card review-card"') == 2
