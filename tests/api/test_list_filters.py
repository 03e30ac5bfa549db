"""Every list searches, orders and filters the same way: ``?search=``, ``?ordering=`` (a field it
cannot order by is a 400 naming it), and django-filter's fields, dates included."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.analysis.pipeline import experiments_analyse
from analytics.ingest.observations import observations_ingest
from analytics.models import Alert, Notification, Result
from experiments.models import Hypothesis, Metric, Objective
from roles.models import OperatorProfile
from tests.analytics.helpers import binomial_rows, running_experiment
from tests.api.problems import problem_errors
from tests.factories import (
    HypothesisFactory,
    MetricFactory,
    ObjectiveFactory,
    SegmentFactory,
    TeamFactory,
    UserFactory,
)
from tests.webhooks.helpers import endpoint
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def names(response, field="name"):
    assert response.status_code == 200, response.content
    return [row[field] for row in response.json()["results"]]


# --- search and ordering on every list -------------------------------------------------------


def test_objectives_search_order_and_refuse_an_unknown_ordering(api, cmo):
    ObjectiveFactory(name="Grow ARR", target_date=dt.date(2027, 6, 30), owner=cmo)
    ObjectiveFactory(name="Cut churn", kpi="Churn", target_date=dt.date(2027, 3, 31), owner=cmo)
    ObjectiveFactory(name="Activation", description="ARR from trials", owner=cmo)

    assert names(api.get("/api/v1/objectives/")) == ["Cut churn", "Grow ARR", "Activation"]
    assert names(api.get("/api/v1/objectives/?search=arr")) == ["Grow ARR", "Activation"]
    assert names(api.get("/api/v1/objectives/?ordering=name")) == [
        "Activation",
        "Cut churn",
        "Grow ARR",
    ]
    assert names(api.get("/api/v1/objectives/?search=churn&ordering=-target_date")) == ["Cut churn"]
    refused = api.get("/api/v1/objectives/?ordering=baseline")
    assert refused.status_code == 400
    assert "baseline" in problem_errors(refused)["ordering"][0]


def test_rows_that_sort_alike_keep_their_order_across_pages(api, cmo):
    same = [ObjectiveFactory(name="Same name", owner=cmo).pk for _ in range(4)]

    def page(number, ordering):
        url = f"/api/v1/objectives/?ordering={ordering}&page_size=1&page={number}"
        return names(api.get(url), field="id")

    assert [pk for n in range(1, 5) for pk in page(n, "name")] == sorted(same)
    assert [pk for n in range(1, 5) for pk in page(n, "-name")] == sorted(same)


def test_segments_search_order_and_refuse_an_unknown_ordering(api):
    SegmentFactory(name="SMB", monthly_reach=500, definition="small firms")
    SegmentFactory(name="Enterprise", monthly_reach=50, definition="large firms")
    SegmentFactory(name="Agencies", monthly_reach=5000, definition="agencies, small")

    assert names(api.get("/api/v1/segments/")) == ["Agencies", "Enterprise", "SMB"]
    assert names(api.get("/api/v1/segments/?search=small")) == ["Agencies", "SMB"]
    assert names(api.get("/api/v1/segments/?ordering=-monthly_reach")) == [
        "Agencies",
        "SMB",
        "Enterprise",
    ]
    refused = api.get("/api/v1/segments/?ordering=definition")
    assert refused.status_code == 400
    assert "definition" in problem_errors(refused)["ordering"][0]


def test_metrics_search_filter_order_and_refuse_an_unknown_ordering(api):
    MetricFactory(key="signups", name="Sign-ups", kind=Metric.Kind.BINOMIAL)
    MetricFactory(key="revenue", name="Revenue per user", kind=Metric.Kind.MEAN)
    MetricFactory(key="trial_starts", name="Trial starts", kind=Metric.Kind.BINOMIAL)

    assert names(api.get("/api/v1/metrics/"), "key") == ["revenue", "signups", "trial_starts"]
    assert names(api.get("/api/v1/metrics/?search=trial"), "key") == ["trial_starts"]
    assert names(api.get("/api/v1/metrics/?kind=binomial&ordering=-key"), "key") == [
        "trial_starts",
        "signups",
    ]
    assert api.get("/api/v1/metrics/?ordering=unit").status_code == 400
    assert api.get("/api/v1/metrics/?kind=median").status_code == 400


def test_teams_and_operators_search_and_order(api, operator, operator2):
    TeamFactory(name="Growth")
    crew = TeamFactory(name="Activation crew")
    crew.members.add(operator)
    OperatorProfile.objects.create(user=operator, channels=["web"], capacity=3)
    OperatorProfile.objects.create(user=operator2, channels=["email"], capacity=8)

    assert names(api.get("/api/v1/teams/")) == ["Activation crew", "Growth"]
    assert names(api.get("/api/v1/teams/?search=grow")) == ["Growth"]
    assert names(api.get(f"/api/v1/teams/?members={operator.pk}")) == ["Activation crew"]
    assert names(api.get("/api/v1/teams/?ordering=-name")) == ["Growth", "Activation crew"]
    assert api.get("/api/v1/teams/?ordering=members").status_code == 400

    assert names(api.get("/api/v1/operators/"), "username") == ["operator", "operator2"]
    assert names(api.get("/api/v1/operators/?ordering=-capacity"), "username") == [
        "operator2",
        "operator",
    ]
    assert names(api.get("/api/v1/operators/?search=priya"), "username") == ["operator2"]
    assert api.get("/api/v1/operators/?ordering=channels").status_code == 400


def test_notifications_filter_by_unread_and_kind_search_and_order(analyst, operator):
    experiment = running_experiment(operator)
    srm = Alert.objects.create(experiment=experiment, kind="srm", message="Split is off")
    win = Alert.objects.create(
        experiment=experiment, kind="significance", message="B wins on sign-ups"
    )
    older = Notification.objects.create(recipient=analyst, alert=srm, read_at=timezone.now())
    newer = Notification.objects.create(recipient=analyst, alert=win)
    Notification.objects.create(recipient=operator, alert=win)  # someone else's
    api = APIClient()
    api.force_authenticate(analyst)

    def ids(query=""):
        return names(api.get(f"/api/v1/notifications/{query}"), "id")

    assert ids() == [newer.pk, older.pk]
    assert ids("?unread=1") == ids("?unread=true") == [newer.pk]
    assert ids("?unread=false") == [older.pk]
    assert ids("?kind=srm") == [older.pk]
    assert ids("?search=wins") == [newer.pk]
    assert ids("?ordering=created_at") == [older.pk, newer.pk]
    assert api.get("/api/v1/notifications/?ordering=alert").status_code == 400
    assert api.get("/api/v1/notifications/?unread=maybe").status_code == 400


def test_webhook_endpoints_search_filter_and_order(cmo):
    slack = endpoint("https://hooks.example.com/slack", cmo, description="Slack")
    crm = endpoint("https://crm.example.com/in", cmo, description="CRM", active=False)
    api = APIClient()
    api.force_authenticate(cmo)

    assert names(api.get("/api/v1/webhooks/"), "id") == [crm.pk, slack.pk]
    assert names(api.get("/api/v1/webhooks/?search=slack"), "id") == [slack.pk]
    assert names(api.get("/api/v1/webhooks/?active=false"), "id") == [crm.pk]
    assert names(api.get("/api/v1/webhooks/?ordering=url"), "id") == [crm.pk, slack.pk]
    assert api.get("/api/v1/webhooks/?ordering=secret").status_code == 400


@pytest.mark.parametrize("value", ["maybe", "yes", "2", "truee", "[]"])
def test_a_yes_no_filter_refuses_what_it_cannot_read(cmo, value):
    """django-filter's own boolean filter ignores such a value and lists everything."""
    endpoint("https://hooks.example.com/slack", cmo)
    api = APIClient()
    api.force_authenticate(cmo)

    refused = api.get("/api/v1/webhooks/", {"active": value})

    assert refused.status_code == 400
    assert problem_errors(refused) == {"active": ["Use true or false (or 1 or 0)."]}


@pytest.mark.parametrize(("value", "active"), [("TRUE", True), ("1", True), ("False", False)])
def test_a_yes_no_filter_reads_true_false_1_and_0_in_any_case(cmo, value, active):
    slack = endpoint("https://hooks.example.com/slack", cmo)
    crm = endpoint("https://crm.example.com/in", cmo, active=False)
    api = APIClient()
    api.force_authenticate(cmo)
    expected = [slack.pk] if active else [crm.pk]
    assert names(api.get("/api/v1/webhooks/", {"active": value}), "id") == expected
    assert names(api.get("/api/v1/webhooks/", {"active": ""}), "id") == [crm.pk, slack.pk]


def test_every_api_filterset_uses_the_strict_yes_no_filter():
    """Each FilterSet the API uses derives from growthops.filters.FilterSet, and none holds
    django-filter's lenient boolean filter (which ignores a value it cannot read)."""
    import django_filters

    import analytics.filters
    import experiments.filters
    import webhooks.filters
    from growthops.api_urls import router
    from growthops.filters import BooleanFilter, FilterBackend, FilterSet

    modules = (analytics.filters, experiments.filters, webhooks.filters)
    filtersets = {
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, django_filters.FilterSet)
    }
    filtersets |= {
        viewset.filterset_class
        for _, viewset, _ in router.registry
        if getattr(viewset, "filterset_class", None)
    }
    filtersets -= {FilterSet, django_filters.FilterSet, django_filters.rest_framework.FilterSet}
    assert len(filtersets) >= 7
    assert [f for f in filtersets if not issubclass(f, FilterSet)] == []
    lenient = [
        f"{filterset.__name__}.{name}"
        for filterset in filtersets
        for name, spec in filterset.base_filters.items()
        if isinstance(spec, django_filters.BooleanFilter) and not isinstance(spec, BooleanFilter)
    ]
    assert lenient == []
    assert FilterBackend.filterset_base is FilterSet  # for the views' ``filterset_fields``


# --- dates and outcomes ----------------------------------------------------------------------


def _created(hypothesis, day):
    Hypothesis.objects.filter(pk=hypothesis.pk).update(
        created_at=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    )


def test_hypotheses_filter_by_creation_date(api):
    march, april, may = (HypothesisFactory(title=m) for m in ("March", "April", "May"))
    _created(march, dt.date(2026, 3, 15))
    _created(april, dt.date(2026, 4, 1))
    _created(may, dt.date(2026, 5, 20))

    def titles(query):
        return sorted(names(api.get(f"/api/v1/hypotheses/?{query}"), "title"))

    assert titles("created_at_after=2026-04-01") == ["April", "May"]
    assert titles("created_at_before=2026-04-01") == ["April", "March"]
    assert titles("created_at_after=2026-03-16&created_at_before=2026-05-19") == ["April"]
    refused = api.get("/api/v1/hypotheses/?created_at_after=spring")
    assert refused.status_code == 400
    # Named as sent: the range's bound, not the filter.
    assert problem_errors(refused) == {"created_at_after": ["Enter a valid date."]}


def test_observations_filter_by_date_metric_and_variant(api, operator, analyst):
    experiment = running_experiment(operator)
    for day in ("2026-11-02", "2026-11-03", "2026-11-04"):
        observations_ingest(experiment_id=experiment.pk, actor=analyst, rows=binomial_rows(day))
    url = f"/api/v1/experiments/{experiment.pk}/observations/"

    def rows(query):
        return [(r["date"], r["variant"]) for r in api.get(f"{url}?{query}").json()["results"]]

    assert len(rows("")) == 6
    assert rows("date_after=2026-11-03&variant=b") == [("2026-11-03", "b"), ("2026-11-04", "b")]
    assert rows("date_before=2026-11-02") == [("2026-11-02", "b"), ("2026-11-02", "control")]
    assert rows("metric=revenue") == []
    refused = api.get(f"{url}?date_before=yesterday")
    assert refused.status_code == 400
    assert problem_errors(refused) == {"date_before": ["Enter a valid date."]}


def test_result_history_filters_by_look_and_computed_at(api, operator, analyst):
    experiment = running_experiment(operator)
    for day in ("2026-11-02", "2026-11-03", "2026-11-04"):
        observations_ingest(experiment_id=experiment.pk, actor=analyst, rows=binomial_rows(day))
        experiments_analyse([experiment.pk])
    first = dt.datetime(2026, 11, 2, 6, tzinfo=dt.UTC)
    for look in (1, 2, 3):
        Result.objects.filter(experiment=experiment, look=look).update(
            computed_at=first + dt.timedelta(days=look - 1)
        )
    url = f"/api/v1/experiments/{experiment.pk}/results/?history=1"

    def looks(query):
        response = api.get(f"{url}&{query}")
        assert response.status_code == 200, response.content
        return [r["look"] for r in response.json()["results"]]

    assert looks("look_min=2") == [2, 2, 3, 3]
    assert looks("look_min=2&look_max=2") == [2, 2]
    assert looks("computed_at_before=2026-11-03T06:00:00Z") == [1, 1, 2, 2]
    assert looks("computed_at_after=2026-11-03T07:00:00%2B00:00") == [3, 3]
    assert api.get(f"{url}&computed_at_after=soon").status_code == 400
    # The instant an offset names, even one PostgreSQL cannot store (+23:50); none before year 1.
    assert looks("computed_at_after=2026-11-04T05:50:00%2B23:50") == [2, 2, 3, 3]
    early = api.get(f"{url}&computed_at_before=0001-01-01T00:00:00%2B23:50")
    assert early.status_code == 400 and "computed_at" in problem_errors(early)
    # The newest snapshot alone is not a history: the history's filters do not apply to it.
    assert len(api.get(f"/api/v1/experiments/{experiment.pk}/results/?look_max=1").json()) == 2


def test_webhook_deliveries_filter_by_status_event_and_code(cmo):
    hook = endpoint("https://hooks.example.com/in", cmo, events=["srm.detected"])
    now = timezone.now()
    made = {}
    for source, event, status, code in [
        ("a", "srm.detected", "delivered", 200),
        ("b", "srm.detected", "failed", 500),
        ("c", "ping", "pending", None),
    ]:
        made[source] = WebhookDelivery.objects.create(
            endpoint=hook, event=event, source=source, payload={}, status=status, response_code=code
        )
    WebhookDelivery.objects.filter(pk=made["a"].pk).update(created_at=now - dt.timedelta(days=2))
    api = APIClient()
    api.force_authenticate(cmo)
    url = f"/api/v1/webhooks/{hook.pk}/deliveries/"

    def sources(query):
        return sorted(names(api.get(f"{url}?{query}"), "source"))

    assert sources("") == ["a", "b", "c"]
    assert sources("status=failed") == ["b"]
    assert sources("status=failed&status=pending") == ["b", "c"]
    assert sources("event=ping") == ["c"]
    assert sources("response_code=200") == ["a"]
    day_ago = (now - dt.timedelta(days=1)).isoformat().replace("+", "%2B")
    assert sources(f"created_at_after={day_ago}") == ["b", "c"]
    refused = api.get(f"{url}?status=lost")
    assert refused.status_code == 400
    assert "status" in problem_errors(refused)


def test_list_filters_are_in_the_schema(api):
    schema = api.get("/api/schema/?format=json").json()

    def params(path, method="get"):
        return {p["name"] for p in schema["paths"][path][method].get("parameters", [])}

    for path in ("/api/v1/objectives/", "/api/v1/segments/", "/api/v1/metrics/",
                 "/api/v1/teams/", "/api/v1/operators/", "/api/v1/notifications/",
                 "/api/v1/webhooks/"):  # fmt: skip
        assert {"search", "ordering"} <= params(path), path
    assert {"created_at_after", "created_at_before"} <= params("/api/v1/hypotheses/")
    assert {"unread", "kind"} <= params("/api/v1/notifications/")
    observations = params("/api/v1/experiments/{id}/observations/")
    assert {"date_after", "date_before", "metric", "variant"} <= observations
    history = params("/api/v1/experiments/{id}/results/")
    assert {"computed_at_after", "computed_at_before", "look_min", "look_max"} <= history
    deliveries = params("/api/v1/webhooks/{id}/deliveries/")
    assert {"status", "event", "response_code", "created_at_after"} <= deliveries
    status = next(
        p
        for p in schema["paths"]["/api/v1/webhooks/{id}/deliveries/"]["get"]["parameters"]
        if p["name"] == "status"
    )
    assert status["schema"]["items"]["enum"] == ["delivered", "failed", "pending"]


def test_an_objective_list_order_can_use_its_counts(api, operator):
    busy = running_experiment(operator).objective
    ObjectiveFactory(name="Quiet")
    first = names(api.get("/api/v1/objectives/?ordering=-experiments_in_flight"), "id")[0]
    assert first == busy.pk
    assert Objective.objects.count() == 2


def test_an_unknown_user_filter_is_a_400(api):
    missing = UserFactory().pk + 1000
    refused = api.get(f"/api/v1/teams/?members={missing}")
    assert refused.status_code == 400
    assert "members" in problem_errors(refused)
