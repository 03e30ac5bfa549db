"""Words and numbers a CMO reads: one date format per kind of moment, money with its currency,
a rate's interval that stops at −100 % and says why, and a plain line for each statistical
term where it appears."""

import re
from pathlib import Path

import pytest

from analytics.stats.reading import interval_text, rate_floor, result_reading
from experiments.glossary import TERMS
from experiments.templatetags.ui import day
from experiments.units import format_money
from programme.insights.registry import INSIGHTS
from tests.experiments.helpers import put_in_status
from tests.test_results_pages import HTMX, panel, running, store

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
# A day, a moment, a month (economics periods) and the machine-readable form of <time>.
DATE_FORMATS = {"j M Y", "j M Y H:i", "M Y", "c"}


def visible(source: str) -> str:
    return re.sub(r"{% comment %}.*?{% endcomment %}|{#.*?#}", "", source, flags=re.S)


def test_every_template_writes_dates_in_one_of_the_house_formats():
    found = {}
    for path in TEMPLATES.rglob("*.html"):
        for match in re.finditer(r"\|date:[\"']([^\"']*)[\"']", visible(path.read_text())):
            if match.group(1) not in DATE_FORMATS:
                found.setdefault(str(path.relative_to(TEMPLATES)), []).append(match.group(1))
    assert found == {}


def test_no_template_points_at_the_developer_documents():
    pointing = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if re.search(r"docs/\w+\.md", visible(path.read_text()))
    ]
    assert pointing == []


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-12-06", "6 Dec 2026"),
        ("2026-12-06T14:05:00+00:00", "6 Dec 2026"),
        (None, "—"),
        ("", "—"),
        ("not a date", "not a date"),
    ],
)
def test_stored_iso_dates_read_as_the_pages_days(value, expected):
    assert day(value) == expected


def test_money_carries_the_reporting_currency(settings):
    settings.REPORTING_CURRENCY = "EUR"
    assert format_money(12345.6) == "€12,346"
    assert format_money(0.012345, digits=4) == "€0.0123"
    assert format_money(None) == "—"
    settings.REPORTING_CURRENCY = "CHF"
    assert format_money(-40) == "−40 CHF"


def test_a_rate_interval_stops_at_minus_100_percent_and_says_why():
    assert rate_floor(-1.35, rate=True) == -1.0
    assert rate_floor(-1.35, rate=False) == -1.35  # a mean may fall further
    assert rate_floor(-0.2, rate=True) == -0.2
    assert interval_text(-1.0, 0.3) == "−100.0 % (a rate cannot fall below zero) to +30.0 %"
    reading = result_reading(
        variant="B", metric="Sign-up conversion", lift=-0.4, lift_ci_low=-1.0,
        lift_ci_high=0.2, significant=False, higher_is_better=True, method="frequentist",
    )  # fmt: skip
    assert "(−100.0 % (a rate cannot fall below zero) to +20.0 %)" in reading


@pytest.mark.django_db
def test_the_panel_and_the_list_cut_a_rates_interval_at_minus_100_percent(client, operator):
    experiment = running(operator)
    store(
        experiment, "signups", 1, control_mean=0.01, mean=0.006, lift=-0.4, ci=(-1.35, 0.55),
        p_value_adjusted=0.5,
    )  # fmt: skip
    store(
        experiment, "revenue", 1, control_mean=5.0, mean=3.0, lift=-0.4, ci=(-1.2, 0.4),
        p_value_adjusted=0.5,
    )  # fmt: skip
    client.force_login(operator)
    html = panel(client, experiment)
    signups = html.split('data-metric="signups"')[1].split('data-metric="revenue"')[0]
    assert "−100.0 % (a rate cannot fall below zero) to +55.0 %" in signups
    assert "data-floor" in signups and "−135" not in signups
    revenue = html.split('data-metric="revenue"')[1]
    assert "data-floor" not in revenue.split('class="card mb-3"')[0]  # a mean is not a rate
    listing = client.get("/experiments/").content.decode()
    assert 'id="interval-floor"' in listing
    assert "-100.0% to +55.0%" in listing and "-135.0%" not in listing


def test_each_glossary_word_has_one_plain_line():
    for key, (word, plain) in TERMS.items():
        assert word and plain.endswith(".") and "\n" not in plain, key
        assert len(plain) < 200, key
    for insight in INSIGHTS.values():
        assert set(insight.terms) <= set(TERMS), insight.name


@pytest.mark.django_db
def test_the_results_panel_explains_its_terms(client, operator):
    experiment = running(operator, method="sequential")
    store(
        experiment, "signups", 1, control_mean=0.1, mean=0.11, lift=0.1, ci=(-0.1, 0.3),
        sequential_p_value=0.2,
    )  # fmt: skip
    client.force_login(operator)
    html = client.get(f"/experiments/{experiment.pk}/results/", headers=HTMX).content.decode()
    glossary = html.split('data-glossary="results"', 1)[1].split("</section>", 1)[0]
    assert "<dt>Always-valid p</dt>" in glossary
    assert TERMS["srm"][1] in glossary.replace("&#x27;", "'")
    page = client.get(f"/experiments/{experiment.pk}/").content.decode()
    assert 'data-glossary="design"' in page and '<abbr class="term" title="Minimum' in page


@pytest.mark.django_db
def test_the_false_wins_insight_explains_lord_and_shrinkage(client, cmo):
    client.force_login(cmo)
    html = client.get("/insights/false-wins/").content.decode()
    glossary = html.split('data-glossary="page"', 1)[1].split("</section>", 1)[0]
    for key in ("lord", "shrunk", "typical_lift"):
        assert f'data-term="{key}"' in glossary
    assert "<dt>Typical lift (μ)</dt>" in glossary
    assert not re.search(r"docs/\w+\.md", html)


def concluded_test(operator, *, name, observation, segment_name, metric_name):
    from tests.factories import ExperimentFactory, HypothesisFactory, MetricFactory, SegmentFactory

    key = metric_name.lower().replace(" ", "-")
    metric = MetricFactory(key=key, name=metric_name)
    segment = SegmentFactory(name=segment_name)
    hypothesis = HypothesisFactory(
        title=f"Idea behind {name}", observation=observation, segment=segment
    )
    experiment = ExperimentFactory(
        owner=operator, hypothesis=hypothesis, segment=segment, name=name, primary_metric=metric
    )
    store(
        experiment, key, 1, control_mean=0.1, mean=0.112, lift=0.12, ci=(0.04, 0.2),
        p_value_adjusted=0.003,
    )  # fmt: skip
    return put_in_status(
        experiment, "concluded", decision="scale", outcome="won", learnings="It worked."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "words, found",
    [
        ("checkout abandon", ["Trust badges"]),  # the hypothesis's observation
        ("demo requests", ["Logo wall"]),  # the metric's name
        ("enterprise", ["Trust badges"]),  # the segment's name
        ("trust enterprise", ["Trust badges"]),  # every word, anywhere
        ("nothing-like-this", []),
    ],
)
def test_the_learnings_search_reads_the_hypothesis_metric_and_segment(
    client, operator, words, found
):
    concluded_test(
        operator, name="Trust badges", observation="buyers abandon the checkout",
        segment_name="Enterprise", metric_name="Sign-up conversion",
    )  # fmt: skip
    concluded_test(
        operator, name="Logo wall", observation="visitors leave the pricing page",
        segment_name="SMB", metric_name="Demo requests",
    )  # fmt: skip
    client.force_login(operator)
    html = client.get("/learnings/", {"q": words}).content.decode()
    names = re.findall(r'<h2 class="h3 mt-0 mb-1"><a href="[^"]+">([^<]+)</a>', html)
    assert names == found


@pytest.mark.django_db
def test_each_learning_shows_its_metric_lift_and_decision(client, operator):
    concluded_test(
        operator, name="Trust badges", observation="buyers abandon the checkout",
        segment_name="Enterprise", metric_name="Sign-up conversion",
    )  # fmt: skip
    client.force_login(operator)
    card = client.get("/learnings/").content.decode().split('class="card mb-2 learning-card"')[1]
    assert "data-metric>Sign-up conversion</dd>" in card
    assert "<strong>+12.0%</strong>" in card and "(+4.0% to +20.0%)" in card
    assert "data-decision>Scale (won)</dd>" in card
