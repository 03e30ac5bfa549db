"""Strategy pages: objectives, segments, the team and the learnings. The CMO writes; everyone
else reads, and a forced write is a 403 with the capability's reason that changes nothing."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from experiments.models import Objective, Segment
from programme.models import PortfolioRollup
from tests import cockpit

# A target date that has not passed (one that has is refused).
NEXT_YEAR = (timezone.localdate() + dt.timedelta(days=365)).isoformat()

pytestmark = pytest.mark.django_db

READERS = ["cmo", "operator", "operator2", "marketer", "analyst"]


@pytest.fixture
def world(cmo, operator, operator2):
    return cockpit.build(cmo=cmo, operator=operator, operator2=operator2)


def pages(w):
    return [
        reverse("programme:objectives"),
        reverse("programme:objective", args=[w["arr"].pk]),
        reverse("programme:segments"),
        reverse("programme:segment", args=[w["self_serve"].pk]),
        reverse("programme:team"),
        reverse("experiments:learnings"),
    ]


@pytest.mark.parametrize("role", READERS)
def test_everyone_reads_the_strategy_pages(client, cast, world, role):
    client.force_login(cast[role])
    for url in pages(world):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        writes = ("New objective", "Launch a segment", ">Sunset<", ">Archive<", ">Edit<")
        if role != "cmo":
            assert not any(w in html for w in writes), url
    if role == "cmo":
        assert "New objective" in client.get(pages(world)[0]).content.decode()
        assert ">Sunset<" in client.get(pages(world)[2]).content.decode()


def test_the_strategy_pages_need_a_sign_in(client, world):
    for url in pages(world):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def forced_writes(w):
    objective_fields = {
        "name": "Hijack", "kpi": "ARR", "unit": "currency", "baseline": "1",
        "target": "2", "target_date": "2030-01-01",
    }  # fmt: skip
    segment_fields = {
        "name": "Rogue", "owner_team": w["team"].pk, "monthly_reach": "5", "definition": "x"
    }  # fmt: skip
    return [
        ("get", reverse("programme:objective-create"), None),
        ("post", reverse("programme:objective-create"), objective_fields),
        ("get", reverse("programme:objective-edit", args=[w["arr"].pk]), None),
        ("post", reverse("programme:objective-edit", args=[w["arr"].pk]), objective_fields),
        ("post", reverse("programme:objective-archive", args=[w["arr"].pk]), {}),
        ("post", reverse("programme:segments"), segment_fields),
        ("post", reverse("programme:segment-sunset", args=[w["freelancers"].pk]), {}),
        ("post", reverse("programme:segment-launch", args=[w["freelancers"].pk]), {}),
    ]


def snapshot():
    return (
        list(Objective.objects.order_by("pk").values()),
        list(Segment.objects.order_by("pk").values()),
    )


@pytest.mark.parametrize("role", ["operator", "marketer", "analyst"])
def test_a_forced_write_is_refused_with_the_reason_and_changes_nothing(client, cast, world, role):
    client.force_login(cast[role])
    before = snapshot()
    for method, url, data in forced_writes(world):
        response = getattr(client, method)(url, data) if data is not None else client.get(url)
        assert response.status_code == 403, (method, url)
        html = response.content.decode()
        assert "Only CMO may" in html, url
        assert ("objectives and targets" in html) or ("launch and sunset segments" in html)
    assert snapshot() == before


def test_the_cmo_sets_an_objective(client, cmo, world):
    client.force_login(cmo)
    target_date = timezone.localdate() + dt.timedelta(days=200)
    response = client.post(
        reverse("programme:objective-create"),
        {
            "name": "Lower CAC",
            "kpi": "Blended CAC",
            "unit": "currency",
            "baseline": "420",
            "target": "350",
            "target_date": target_date.isoformat(),
            "description": "Spend smarter.",
        },  # fmt: skip
    )
    objective = Objective.objects.get(name="Lower CAC")
    assert response.status_code == 302
    assert response["Location"] == reverse("programme:objective", args=[objective.pk])
    assert (objective.kpi, objective.baseline, objective.target, objective.owner) == (
        "Blended CAC",
        Decimal("420"),
        Decimal("350"),
        cmo,
    )
    assert objective.status == "active" and objective.target_date == target_date


def test_a_refused_objective_keeps_what_was_typed(client, cmo, world):
    client.force_login(cmo)
    count = Objective.objects.count()
    response = client.post(
        reverse("programme:objective-create"),
        {
            "name": "Flat line",
            "kpi": "Signups",
            "unit": "count",
            "baseline": "100",
            "target": "100",
            "target_date": NEXT_YEAR,
        },  # fmt: skip
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["target"] == ["The target must differ from the baseline."]
    html = response.content.decode()
    assert 'value="Flat line"' in html and 'value="Signups"' in html
    assert "Nothing was saved" in html
    assert Objective.objects.count() == count

    response = client.post(reverse("programme:objective-create"), {"name": "No KPI"})
    assert "This field is required." in response.context["form"].errors["kpi"]
    assert 'value="No KPI"' in response.content.decode()
    assert Objective.objects.count() == count

    # A target date that has passed: said beside the date, what was typed kept.
    late = {"name": "Lower CAC", "kpi": "Blended CAC", "unit": "currency", "baseline": "420",
            "target": "350", "target_date": "2020-01-01"}  # fmt: skip
    response = client.post(reverse("programme:objective-create"), late)
    message = "1 Jan 2020 has passed; a target date is today or later."
    assert response.context["form"].errors == {"target_date": [message]}
    html = response.content.decode()
    assert message in html and 'value="2020-01-01"' in html and 'value="Lower CAC"' in html
    assert Objective.objects.count() == count


def test_an_objective_past_its_date_is_still_edited_on_its_page(client, cmo, world):
    arr = world["arr"]
    Objective.objects.filter(pk=arr.pk).update(target_date=dt.date(2020, 1, 1))
    client.force_login(cmo)
    edit = reverse("programme:objective-edit", args=[arr.pk])
    fields = {"name": "Grow ARR, late", "kpi": "Net new ARR", "unit": "currency",
              "baseline": "1000000", "target": "1500000", "target_date": "2020-01-01"}  # fmt: skip

    assert client.post(edit, fields).status_code == 302
    arr.refresh_from_db()
    assert (arr.name, arr.target_date) == ("Grow ARR, late", dt.date(2020, 1, 1))

    response = client.post(edit, {**fields, "name": "Moved", "target_date": "2020-06-30"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "target_date": ["30 Jun 2020 has passed; a target date is today or later."]
    }
    arr.refresh_from_db()
    assert (arr.name, arr.target_date) == ("Grow ARR, late", dt.date(2020, 1, 1))


def test_the_cmo_edits_and_archives_an_objective(client, cmo, marketer, world):
    arr = world["arr"]
    client.force_login(cmo)
    edit = reverse("programme:objective-edit", args=[arr.pk])
    assert client.get(edit).context["form"]["target"].value() == Decimal("1500000.00")
    response = client.post(
        edit,
        {
            "name": "Grow ARR faster",
            "kpi": "Net new ARR",
            "unit": "currency",
            "baseline": "1000000",
            "target": "1800000",
            "target_date": NEXT_YEAR,
        },  # fmt: skip
    )
    assert response.status_code == 302
    arr.refresh_from_db()
    assert (arr.name, arr.target) == ("Grow ARR faster", Decimal("1800000"))

    # A bad edit keeps the objective as it was.
    response = client.post(edit, {"name": "", "kpi": "x", "unit": "currency", "baseline": "5",
                                  "target": "5", "target_date": NEXT_YEAR})  # fmt: skip
    assert response.status_code == 200
    arr.refresh_from_db()
    assert arr.name == "Grow ARR faster"

    client.post(reverse("programme:objective-archive", args=[arr.pk]))
    arr.refresh_from_db()
    assert arr.status == "retired"
    client.force_login(marketer)
    dashboard = client.get(reverse("programme:dashboard-objectives"))
    assert arr not in [card.objective for card in dashboard.context["cards"]]
    listed = client.get(reverse("programme:objectives") + "?archived=1")
    assert arr in [card.objective for card in listed.context["cards"]]


def test_the_objective_page_shows_its_ledger_and_each_experiments_impact(client, marketer, world):
    client.force_login(marketer)
    response = client.get(reverse("programme:objective", args=[world["arr"].pk]))

    impacts = {e.name: impact for e, impact in response.context["rows"]}
    assert impacts["Customer logos"].realised == pytest.approx((20_000.0, 10_000.0, 30_000.0))
    assert impacts["Annual plan nudge"].forecast == pytest.approx(6_000.0)
    assert impacts["Onboarding checklist"].forecast is None  # a draft is not in flight
    html = response.content.decode()
    assert "20,000" in html and "6,000" in html and "18,000" in html

    spec = json.loads(response.context["card"].chart.data_json())
    stored = PortfolioRollup.objects.filter(dimension="objective", key=str(world["arr"].pk))
    realised = next(t for t in spec["data"] if t["name"] == "Realised")
    assert realised["y"] == [
        1_000_000 + r.data["realised_impact"] for r in stored.order_by("computed_on")
    ]

    in_flight = client.get(
        reverse("programme:objective", args=[world["arr"].pk]), {"status": "in_flight"}
    )
    assert sorted(e.name for e, _ in in_flight.context["rows"]) == [
        "Annual plan nudge", "Paid social lookalikes", "Shorter sign-up form",
    ]  # fmt: skip


def test_the_segment_page_shows_economics_and_what_runs_in_it(client, marketer, world):
    segment = world["self_serve"]
    client.force_login(marketer)

    response = client.get(reverse("programme:segment", args=[segment.pk]))

    spec = json.loads(response.context["chart"].data_json())
    traces = {t["name"]: t for t in spec["data"]}
    assert traces["Acquisition cost"]["y"] == [20_000.0, 30_000.0]
    assert traces["Value of customers acquired"]["y"] == [50_000.0, 60_000.0]
    assert traces["Value-to-cost"]["y"] == [2.5, 2.0]
    assert traces["Acquisition cost"]["x"] == ["2026-08-01", "2026-09-01"]
    html = response.content.decode()
    assert "250" in html and "2.50×" in html  # CAC of the newest period, and its ratio
    # 2,000 a day of its 10,000 (300,000 a month ÷ 30).
    assert [e.name for e in response.context["page_obj"]] == ["Annual plan nudge"]
    assert response.context["page_obj"][0].traffic_share == 0.2
    assert response.context["total_share"] == 0.2
    assert 'id="total-share">20.0% of its daily reach' in html


def test_the_segment_tree_lists_children_under_their_parent(client, marketer, world):
    client.force_login(marketer)
    segments = client.get(reverse("programme:segments")).context["segments"]
    names = [(s.name, s.depth) for s in segments]
    assert names.index(("Self-serve", 0)) + 1 == names.index(("Freelancers", 1))
    self_serve = next(s for s in segments if s.name == "Self-serve")
    assert (self_serve.live_experiments, self_serve.traffic_share) == (1, 0.2)
    assert self_serve.latest_economics.customers_acquired == 120


def test_the_cmo_sunsets_and_launches_a_segment(client, cmo, world):
    client.force_login(cmo)
    freelancers = world["freelancers"]
    response = client.post(reverse("programme:segment-sunset", args=[freelancers.pk]), follow=True)
    freelancers.refresh_from_db()
    assert freelancers.status == "sunset" and freelancers.sunset_on == timezone.localdate()
    assert "Sunset “Freelancers”." in response.content.decode()

    client.post(reverse("programme:segment-launch", args=[freelancers.pk]))
    freelancers.refresh_from_db()
    assert (freelancers.status, freelancers.sunset_on) == ("active", None)


def test_a_segment_with_running_experiments_is_not_sunset(client, cmo, world):
    client.force_login(cmo)
    segment = world["self_serve"]
    response = client.post(reverse("programme:segment-sunset", args=[segment.pk]), follow=True)
    segment.refresh_from_db()
    assert segment.status == "active"
    assert "still has experiments running (Annual plan nudge)" in response.content.decode()


def test_the_cmo_launches_a_sub_segment_and_a_refusal_keeps_the_input(client, cmo, world):
    client.force_login(cmo)
    fields = {"name": "Agencies", "parent": world["self_serve"].pk, "owner_team": world["team"].pk,
              "monthly_reach": "", "definition": "Agencies buying for clients."}  # fmt: skip
    response = client.post(reverse("programme:segments"), fields)
    assert response.status_code == 200
    assert "monthly_reach" in response.context["form"].errors
    assert "Agencies buying for clients." in response.content.decode()
    assert not Segment.objects.filter(name="Agencies").exists()

    fields["monthly_reach"] = "4000"
    response = client.post(reverse("programme:segments"), fields)
    segment = Segment.objects.get(name="Agencies")
    assert response["Location"] == reverse("programme:segment", args=[segment.pk])
    assert (segment.parent, segment.status, segment.launched_on) == (
        world["self_serve"],
        "active",
        timezone.localdate(),
    )


def test_the_team_page_shows_each_operators_l_and_the_agencies(client, marketer, operator, world):
    client.force_login(marketer)
    response = client.get(reverse("programme:team"))
    profile = next(p for p in response.context["operators"] if p.user == operator)
    assert profile.channel_labels == ["Web", "Email", "Paid"]
    assert profile.specialities == ["pricing tests"]
    # A draft, a running and an approved one occupy the operator; two of them are in flight.
    assert (profile.active_experiments, profile.in_flight, profile.capacity) == (3, 2, 3)
    assert {e.name for e in profile.current} == {"Annual plan nudge", "Paid social lookalikes"}
    (northwind,) = response.context["agencies"]
    assert (northwind["partner_name"], northwind["in_flight"]) == ("Northwind", 1)
    assert [e.name for e in northwind["current"]] == ["Paid social lookalikes"]
    html = response.content.decode()
    assert "pricing tests" in html and "<strong>3</strong> / 3" in html


def test_learnings_show_what_was_learnt_and_the_follow_up(client, marketer, world):
    client.force_login(marketer)
    response = client.get(reverse("experiments:learnings"))
    assert [e.name for e in response.context["page_obj"]] == ["Customer logos"]
    html = response.content.decode()
    assert "Logos build trust with first-time visitors." in html
    assert "Logos on the checkout page too" in html
    assert f"/hypotheses/{world['follow_up'].pk}/" in html


@pytest.mark.parametrize(
    "query, found",
    [
        ({"q": "trust visitors"}, True),  # words of the learnings
        ({"q": "Idea: Customer"}, True),  # the hypothesis's title
        ({"q": "checkout"}, False),
        ({"outcome": "won", "decision": "scale"}, True),
        ({"outcome": "lost"}, False),
        ({"decision": "iterate"}, False),
        ({"channel": "web", "executed_by": "in_house"}, True),
        ({"channel": "email"}, False),
        ({"executed_by": "agency"}, False),
    ],
)
def test_learnings_filter(client, marketer, world, query, found):
    client.force_login(marketer)
    response = client.get(reverse("experiments:learnings"), query)
    assert bool(list(response.context["page_obj"])) is found


def test_learnings_filter_by_segment_and_objective(client, marketer, world):
    client.force_login(marketer)
    url = reverse("experiments:learnings")
    assert (
        client.get(url, {"segment": world["self_serve"].pk}).context["page_obj"].paginator.count
        == 1
    )
    assert (
        client.get(url, {"segment": world["freelancers"].pk}).context["page_obj"].paginator.count
        == 0
    )
    assert client.get(url, {"objective": world["arr"].pk}).context["page_obj"].paginator.count == 1
    fragment = client.get(
        url, {"q": "logos"}, headers={"HX-Request": "true", "HX-Target": "learning-results"}
    )
    assert "base.html" not in [t.name for t in fragment.templates]


class TestStrategyPagesOnTheLargeDemo(cockpit.OnTheLargeDemo):
    @pytest.mark.parametrize("username", ["cmo", "operator"])
    def test_strategy_pages_make_a_bounded_number_of_queries(
        self,
        client,
        large_demo,
        username,
        django_assert_max_num_queries,
    ):
        client.force_login(large_demo[username])
        objective = Objective.objects.order_by("pk").first()
        segment = Segment.objects.order_by("pk").first()
        # Each one more than before the top bar counted unread notices.
        for url, most in [
            (reverse("programme:objectives"), 10),
            # + the measured days, the holdouts that check it and the report of the one that
            # does (its days and what shipped into its segment: five, whatever their size)
            (reverse("programme:objective", args=[objective.pk]), 27),
            (reverse("programme:segments"), 12),
            (reverse("programme:segment", args=[segment.pk]), 12),
            (reverse("programme:team"), 14),
            (reverse("experiments:learnings"), 11),
            (reverse("experiments:learnings") + "?outcome=won&q=a", 11),
        ]:
            with django_assert_max_num_queries(most):
                assert client.get(url).status_code == 200, url
