"""The dashboard: objectives' progress and charts, programme numbers, and what each role does next."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from programme.models import PortfolioRollup
from tests import cockpit
from tests.factories import ExperimentFactory, HypothesisFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def world(cmo, operator, operator2):
    return cockpit.build(cmo=cmo, operator=operator, operator2=operator2)


def card_of(response, objective):
    return next(c for c in response.context["cards"] if c.objective == objective)


def test_the_objectives_panel_shows_progress_against_the_gap(client, marketer, world):
    client.force_login(marketer)

    response = client.get(reverse("programme:dashboard-objectives"), headers=HTMX)

    assert response.status_code == 200
    assert "base.html" not in [t.name for t in response.templates]  # a fragment for htmx
    card = card_of(response, world["arr"])
    ledger = card.ledger
    # 100,000 a year × 5 % × 40 per conversion × lift 0.1 (0.05 to 0.15).
    assert (ledger["realised_impact"], ledger["realised_impact_low"]) == (20_000.0, 10_000.0)
    # Three in flight (in review, approved, running), each 0.3 × 200,000 × MDE 0.1.
    assert (ledger["forecast_impact"], ledger["in_flight"]) == (18_000.0, 3)
    assert (ledger["progress"], ledger["progress_with_forecast"]) == (0.04, 0.076)
    assert card.current_value == 1_020_000.0
    html = response.content.decode()
    assert 'value="0.040000" max="1"' in html and 'value="0.076000" max="1"' in html
    assert "1,020,000" in html and "1,500,000" in html
    statuses = {status: n for status, _, n in card.status_counts}
    assert (statuses["running"], statuses["concluded"], statuses["draft"]) == (1, 1, 1)
    assert [e.name for e in card.in_flight] == sorted(
        [e.name for e in (world["running"], world["in_review"], world["agency"])],
        key=[world["agency"].name, world["in_review"].name, world["running"].name].index,
    )
    assert f"/experiments/{world['running'].pk}/" in html


def test_a_kpi_moved_away_from_its_target_reads_as_behind(client, marketer, world):
    client.force_login(marketer)
    url = reverse("programme:dashboard-objectives")
    ahead = client.get(url, headers=HTMX)
    assert card_of(ahead, world["arr"]).behind is False
    assert 'class="kpi-now"' in ahead.content.decode()
    latest = PortfolioRollup.objects.filter(dimension="objective", key=str(world["arr"].pk)).latest(
        "computed_on"
    )
    latest.data["realised_impact"] = -30_000.0
    latest.save()

    behind = client.get(url, headers=HTMX)

    card = card_of(behind, world["arr"])
    assert (card.ledger["progress"], card.current_value, card.behind) == (-0.06, 970_000.0, True)
    assert 'class="kpi-now kpi-behind"' in behind.content.decode()


def test_the_objective_chart_draws_the_stored_roll_ups(client, marketer, world):
    client.force_login(marketer)
    stored = list(
        PortfolioRollup.objects.filter(dimension="objective", key=str(world["arr"].pk)).order_by(
            "computed_on"
        )
    )
    # The winners' shrinkage keeps part of P(win) × the MDE's value (18,000 here).
    for row, expected in zip(stored, (12_000.0, 13_500.0), strict=True):
        row.data["forecast_expected"] = expected
        row.save()

    response = client.get(reverse("programme:dashboard-objectives"), headers=HTMX)

    chart = card_of(response, world["arr"]).chart
    spec = json.loads(chart.data_json())
    traces = {trace["name"]: trace for trace in spec["data"]}
    days = [row.computed_on.isoformat() for row in stored]
    assert traces["Realised"]["x"] == days
    assert traces["Realised"]["y"] == [1_000_000 + r.data["realised_impact"] for r in stored]
    # What the progress bar adds: the expected forecast, not P(win) × the MDE's whole value.
    assert traces["Realised + expected from tests in flight"]["y"] == [
        1_000_000 + r.data["realised_impact"] + expected
        for r, expected in zip(stored, (12_000.0, 13_500.0), strict=True)
    ]
    target = next(t for name, t in traces.items() if name.startswith("Target by"))
    assert target["y"] == [1_500_000.0, 1_500_000.0]
    assert target["x"] == [days[0], world["arr"].target_date.isoformat()]
    assert f'id="{chart.dom_id}-data"' in response.content.decode()


def test_the_objective_page_adds_the_forecast_the_progress_bar_adds(client, marketer, world):
    latest = PortfolioRollup.objects.filter(dimension="objective", key=str(world["arr"].pk)).latest(
        "computed_on"
    )
    latest.data["forecast_expected"] = 13_500.0
    latest.save()
    client.force_login(marketer)

    response = client.get(reverse("programme:objective", args=[world["arr"].pk]))

    html = response.content.decode()
    expected = html.split('id="ledger-expected">')[1].split("</dd>")[0]
    assert expected.startswith("+€13,500 from 3 experiments")
    assert "P(win) × each MDE's yearly value, +€18,000" in expected
    assert "With what 3 in flight is expected to add" in html and "(+€13,500)" in html


def test_a_falling_target_counts_impact_downwards(client, marketer, cmo, world):
    cac = world["arr"]
    cac.baseline, cac.target = 420, 350
    cac.save()
    client.force_login(marketer)
    response = client.get(reverse("programme:dashboard-objectives"), headers=HTMX)
    assert card_of(response, cac).current_value == 420 - 20_000.0


def test_the_panels_open_as_pages_without_htmx(client, marketer, world):
    client.force_login(marketer)
    for name in ("programme:dashboard-objectives", "programme:dashboard-programme"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert "base.html" in [t.name for t in response.templates]


def test_the_home_page_loads_the_panels_and_links_them(client, marketer, world):
    client.force_login(marketer)
    html = client.get(reverse("programme:home")).content.decode()
    for name in ("programme:dashboard-objectives", "programme:dashboard-programme"):
        assert f'hx-get="{reverse(name)}"' in html
        assert f'href="{reverse(name)}"' in html  # without JavaScript, a link
    assert "Grow net new ARR" in html  # the objectives, before the panel arrives


def test_the_programme_panel_reads_the_stored_programme_row(client, marketer, world):
    client.force_login(marketer)
    row = PortfolioRollup.objects.get(dimension="programme", computed_on=timezone.localdate())

    response = client.get(reverse("programme:dashboard-programme"), headers=HTMX)

    assert response.context["programme"] == row.data
    html = response.content.decode()
    assert row.data["win_rate"] == 1.0 and 'id="win-rate">100 %' in html
    assert f'id="velocity">{row.data["concluded_30d"]}<' in html
    web = next(r for r in response.context["channels"] if r.key == "web")
    assert web.data["experiments"] == 6
    executors = {e["label"]: e for e in response.context["executors"]}
    assert executors["In-house team"]["experiments"] == 5
    assert executors["In-house team"]["win_rate"] == 1.0
    assert (executors["Northwind"]["experiments"], executors["Northwind"]["in_flight"]) == (1, 1)


def test_the_cmo_sees_what_needs_a_decision_oldest_first(client, cmo, world):
    mine = ExperimentFactory(name="The CMO's own idea", owner=cmo)
    cockpit.put_in_status(mine, "in_review")
    client.force_login(cmo)

    response = client.get(reverse("programme:home"))

    awaiting = response.context["awaiting"]
    assert [e.name for e in awaiting] == ["Shorter sign-up form", "Pricing FAQ"]
    html = response.content.decode()
    assert "waiting 5\xa0days" in html and "waiting 3\xa0hours" in html
    assert response.context["awaiting_total"] == 2  # never their own
    assert f'href="{reverse("programme:review")}" id="open-review-queue"' in html
    assert response.context["mine"] == [] and response.context["ideas"] == []


def test_an_operator_sees_their_experiments_with_the_next_step(client, operator, world):
    client.force_login(operator)
    response = client.get(reverse("programme:home"))
    steps = {e.name: e.next_step for e in response.context["mine"]}
    assert steps["Annual plan nudge"] == "Keep running"  # as the experiment list says
    assert steps["Onboarding checklist"] == "Finish the design and send it for review"
    assert steps["Paid social lookalikes"] == "Start it"
    assert list(steps)[-1] == "Customer logos"  # decided ones last
    assert response.context["awaiting"] == []
    assert 'id="awaiting"' not in response.content.decode()


def test_a_marketer_sees_their_ideas(client, marketer, world):
    HypothesisFactory(title="Referral banner", author=marketer)
    client.force_login(marketer)
    response = client.get(reverse("programme:home"))
    assert [h.title for h in response.context["ideas"]] == ["Referral banner"]
    html = response.content.decode()
    assert 'id="my-ideas"' in html and 'id="mine"' not in html and 'id="awaiting"' not in html


def test_the_dashboard_is_for_signed_in_people(client):
    for name in ("programme:dashboard-objectives", "programme:dashboard-programme"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


class TestCockpitPagesOnTheLargeDemo(cockpit.OnTheLargeDemo):
    @pytest.mark.parametrize("username", ["cmo", "operator", "marketer"])
    def test_the_dashboard_makes_a_bounded_number_of_queries(
        self, client, large_demo, username, django_assert_max_num_queries
    ):
        client.force_login(large_demo[username])
        for url, most in [
            # 11, and the unread notices' count and the overdue post-mortems and actions.
            (reverse("programme:home"), 14),
            (reverse("programme:dashboard-objectives"), 10),  # + the measured days
            (reverse("programme:dashboard-programme"), 8),
        ]:
            with django_assert_max_num_queries(most):
                assert client.get(url, headers=HTMX).status_code == 200
