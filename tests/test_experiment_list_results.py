"""The experiment list's result columns: lift with its interval, significance by each test's
own method, progress to the planned sample, days running and the next step; sorting by each;
the filtered list as CSV."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.models import Result
from experiments.design import experiment_design
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, HypothesisFactory, MetricFactory

pytestmark = pytest.mark.django_db


def analysed(experiment, *, lift, low, high, users=1000, look=1, **numbers):
    """The experiment's primary metric at one look: control and B, B with these numbers."""
    common = {
        "experiment": experiment,
        "metric": experiment.primary_metric,
        "look": look,
        "alpha": experiment.alpha,
        "method": experiment.method,
        "users": users,
    }
    variants = {v.key: v for v in experiment.variants.all()}
    Result.objects.create(variant=variants["control"], is_control=True, mean=0.1, **common)
    Result.objects.create(
        variant=variants["b"],
        mean=0.1 * (1 + lift),
        lift=lift,
        lift_ci_low=low,
        lift_ci_high=high,
        **common,
        **numbers,
    )


def running(name, days, **fields):
    experiment = ExperimentFactory(name=name, **fields)
    return put_in_status(
        experiment, "running", start_date=timezone.localdate() - dt.timedelta(days=days - 1)
    )


@pytest.fixture
def three(db):
    metric = MetricFactory(key="signups", name="Sign-ups")

    def hypothesis():
        return HypothesisFactory(metric=metric)

    fixed = running("Logo wall", 12, hypothesis=hypothesis())
    analysed(fixed, lift=0.086, low=0.058, high=0.114, users=5000, p_value=0.01,
             p_value_adjusted=0.012)  # fmt: skip
    bayes = running("Price anchor", 3, hypothesis=hypothesis(), method="bayesian")
    # Not significant by a p-value, significant by its own method (chance to beat control).
    analysed(bayes, lift=0.031, low=-0.01, high=0.07, users=1000, p_value=0.4,
             p_value_adjusted=0.4, chance_to_beat_control=0.991)  # fmt: skip
    sequential = running("Short form", 30, hypothesis=hypothesis(), method="sequential",
                         sequential_tau=0.05)  # fmt: skip
    # Significant at a fixed horizon, not by its always-valid p.
    analysed(sequential, lift=-0.02, low=-0.05, high=0.01, users=15000, p_value=0.01,
             p_value_adjusted=0.01, sequential_p_value=0.2)  # fmt: skip
    draft = ExperimentFactory(name="Fresh draft", hypothesis=hypothesis())
    return {"fixed": fixed, "bayes": bayes, "sequential": sequential, "draft": draft}


def rows_of(response):
    return {row.experiment.name: row for row in response.context["rows"]}


def names_in(response):
    return [row.experiment.name for row in response.context["rows"]]


def test_each_row_shows_its_primary_lift_significance_progress_days_and_next_step(
    client, marketer, three
):
    client.force_login(marketer)
    response = client.get(reverse("experiments:list"))
    rows = rows_of(response)
    fixed = rows["Logo wall"]
    planned = experiment_design(three["fixed"]).total_sample_size
    assert (fixed.lift, fixed.lift_low, fixed.lift_high) == (0.086, 0.058, 0.114)
    assert fixed.significant is True and fixed.evidence == "p 0.012"
    assert fixed.users == 10000 and fixed.planned_users == planned
    assert fixed.progress == pytest.approx(10000 / planned)
    assert fixed.days == 12
    assert fixed.next_step == "Keep running"
    assert rows["Price anchor"].significant is True
    assert rows["Price anchor"].evidence == "99 % chance to beat control"
    assert rows["Short form"].significant is False
    assert rows["Short form"].evidence == "always-valid p 0.200"
    draft = rows["Fresh draft"]
    assert draft.lift is None and draft.progress is None and draft.days is None
    assert draft.next_step == "Finish the design and send it for review"
    html = response.content.decode()
    assert "+8.6%" in html and "+5.8% to +11.4%" in html
    assert 'aria-label="Interval +5.8% to +11.4% around zero"' in html
    assert f"10,000 of {planned:,}" in html
    assert ">Significant<" in html and ">Not yet<" in html


def test_the_next_step_of_a_review_or_a_decision_is_said_to_the_cmo_as_theirs(
    client, cmo, marketer, operator, db
):
    in_review = put_in_status(ExperimentFactory(name="Awaiting review"), "in_review")
    completed = put_in_status(ExperimentFactory(name="Awaiting decision"), "completed")
    own = put_in_status(ExperimentFactory(name="The CMO's own", owner=cmo), "in_review")
    steps = {}
    for user in (cmo, marketer, operator):
        client.force_login(user)
        rows = rows_of(client.get(reverse("experiments:list")))
        steps[user.username] = [rows[e.name].next_step for e in (in_review, completed, own)]
    assert steps == {
        "cmo": [
            "Review it: approve or send back",
            "Decide: scale, iterate or abandon",
            "Waiting for the CMO's review",  # nobody reviews their own design
        ],
        **dict.fromkeys(
            ("marketer", "operator"),
            [
                "Waiting for the CMO's review",
                "Waiting for the CMO's decision",
                "Waiting for the CMO's review",
            ],
        ),
    }


def test_a_sample_ratio_mismatch_withholds_the_lift_and_the_verdict_until_acknowledged(
    client, operator, marketer
):
    from analytics.srm import srm_acknowledge
    from experiments.decisions import experiment_reading
    from tests.test_results_pages import running, store

    experiment = running(operator, name="Checkout copy")
    store(experiment, "signups", 1, control_mean=0.1, mean=0.12, lift=0.2, ci=(0.1, 0.3),
          p_value_adjusted=0.001, srm_p_value=0.00001)  # fmt: skip
    client.force_login(marketer)

    response = client.get(reverse("experiments:list"))

    row = rows_of(response)["Checkout copy"]
    assert (row.lift, row.significant, row.unresolved_srm_p) == (None, None, 0.00001)
    assert row.next_step == "Check how users are assigned and counted (sample-ratio mismatch)"
    html = response.content.decode()
    assert "Sample-ratio mismatch</span>" in html and "+20.0%" not in html
    reading = experiment_reading(experiment)
    assert reading.verdict.action == "keep_running"
    assert reading.verdict.reasons[0].startswith("The users per variant do not match")

    srm_acknowledge(experiment_id=experiment.pk, actor=operator, note="Bots filtered on B.")

    row = rows_of(client.get(reverse("experiments:list")))["Checkout copy"]
    assert (row.lift, row.significant, row.unresolved_srm_p) == (0.2, True, None)
    assert not experiment_reading(experiment).verdict.reasons[0].startswith("The users per")


def test_sorting_by_lift_puts_the_better_result_first_whatever_the_metrics_direction(
    client, marketer, db
):
    cheaper = running(
        "Cheaper checkout", 5,
        hypothesis=HypothesisFactory(metric=MetricFactory(key="cac", direction="lower")),
    )  # fmt: skip
    analysed(cheaper, lift=-0.10, low=-0.15, high=-0.05)  # CAC down 10 %: a gain of 10 %
    signups = running("More sign-ups", 5, hypothesis=HypothesisFactory(metric=MetricFactory()))
    analysed(signups, lift=0.05, low=0.01, high=0.09)
    worse = running(
        "Dearer checkout", 5, hypothesis=HypothesisFactory(metric=cheaper.primary_metric)
    )
    analysed(worse, lift=0.02, low=-0.01, high=0.05)  # CAC up 2 %: a loss
    client.force_login(marketer)

    best_first = names_in(client.get(reverse("experiments:list"), {"sort": "-lift"}))
    worst_first = names_in(client.get(reverse("experiments:list"), {"sort": "lift"}))

    assert best_first == ["Cheaper checkout", "More sign-ups", "Dearer checkout"]
    assert worst_first == ["Dearer checkout", "More sign-ups", "Cheaper checkout"]


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("-lift", ["Logo wall", "Price anchor", "Short form", "Fresh draft"]),
        ("lift", ["Short form", "Price anchor", "Logo wall", "Fresh draft"]),
        # Price anchor: 2 × (1 − 0.991) = 0.018 as its method's p; Short form's always-valid 0.2.
        ("significance", ["Logo wall", "Price anchor", "Short form", "Fresh draft"]),
        ("-days", ["Short form", "Logo wall", "Price anchor", "Fresh draft"]),
        ("days", ["Price anchor", "Logo wall", "Short form", "Fresh draft"]),
        ("next", ["Fresh draft", "Logo wall", "Price anchor", "Short form"]),
        ("-next", ["Short form", "Price anchor", "Logo wall", "Fresh draft"]),
        ("name", ["Fresh draft", "Logo wall", "Price anchor", "Short form"]),
    ],
)
def test_the_list_sorts_by_each_column(client, marketer, three, sort, expected):
    client.force_login(marketer)
    response = client.get(reverse("experiments:list"), {"sort": sort})
    assert names_in(response) == expected


def test_the_list_sorts_by_progress_to_the_planned_sample(client, marketer, three):
    client.force_login(marketer)
    shares = {
        name: row.progress for name, row in rows_of(client.get(reverse("experiments:list"))).items()
    }
    by_share = sorted((n for n in shares if shares[n] is not None), key=lambda n: -shares[n])
    response = client.get(reverse("experiments:list"), {"sort": "-progress"})
    assert names_in(response) == [*by_share, "Fresh draft"]
    assert by_share == ["Short form", "Logo wall", "Price anchor"]
    response = client.get(reverse("experiments:list"), {"sort": "progress", "page": "1"})
    assert names_in(response) == [*reversed(by_share), "Fresh draft"]


def test_sorting_keeps_the_filters_in_the_url(client, marketer, three):
    client.force_login(marketer)
    response = client.get(reverse("experiments:list"), {"status": "running", "sort": "-lift"})
    assert names_in(response) == ["Logo wall", "Price anchor", "Short form"]
    html = response.content.decode()
    # The lift header now reverses the order, the others start theirs; both keep the filter.
    assert 'href="?status=running&amp;sort=lift"' in html
    assert 'href="?status=running&amp;sort=-progress"' in html
    assert 'aria-sort="descending"' in html
    assert 'href="/experiments.csv?status=running&amp;sort=-lift"' in html


def test_an_unknown_sort_is_refused_with_the_list_empty(client, marketer, three):
    client.force_login(marketer)
    response = client.get(reverse("experiments:list"), {"sort": "drop table"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_the_csv_export_is_the_filtered_sorted_list(client, analyst, three):
    client.force_login(analyst)
    response = client.get(reverse("experiments:list-csv"), {"status": "running", "sort": "-lift"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="experiments-')
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["name"] for r in rows] == ["Logo wall", "Price anchor", "Short form"]
    logo = rows[0]
    assert logo["lift"] == "0.086" and logo["lift_ci_low"] == "0.058"
    assert logo["significant"] == "True" and logo["evidence"] == "p 0.012"
    assert logo["users"] == "10000" and logo["days_running"] == "12"
    assert logo["primary_metric"] == "signups" and logo["leading_variant"] == "B"


def test_the_csv_export_refuses_a_bad_filter_and_those_signed_out(client, analyst, outsider):
    assert client.get(reverse("experiments:list-csv")).status_code == 302
    client.force_login(outsider)
    assert client.get(reverse("experiments:list-csv")).status_code == 302
    client.force_login(analyst)
    response = client.get(reverse("experiments:list-csv"), {"sort": "nope"})
    assert response.status_code == 400
    assert "sort" in response.content.decode()


@pytest.fixture
def many_analysed(db):
    metric = MetricFactory(key="signups", name="Sign-ups")
    made = []
    for i in range(30):
        experiment = running(f"Analysed {i}", 5 + i, hypothesis=HypothesisFactory(metric=metric))
        analysed(experiment, lift=0.01 * i, low=0.01 * i - 0.02, high=0.01 * i + 0.02,
                 p_value=0.04, p_value_adjusted=0.04)  # fmt: skip
        made.append(experiment)
    return made


@pytest.mark.parametrize(
    "sort", ["-updated", "-lift", "significance", "-progress", "-days", "next"]
)
def test_the_result_columns_need_a_bounded_number_of_queries(
    client, marketer, many_analysed, django_assert_max_num_queries, sort
):
    client.force_login(marketer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("experiments:list"), {"sort": sort})
    rows = response.context["rows"]
    assert len(rows) == 25 and all(row.lift is not None for row in rows)
