"""Every API list runs the same number of queries for a page of 1 as for a page of 500.

The world has more rows than one page of 1 in every list, each row with the related rows its
serializer shows (variants, metrics, members, authors…), so a query per row would show as a
difference between the two page sizes.
"""

import copy
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from analytics.analysis.pipeline import experiments_analyse
from analytics.ingest.economics import economics_ingest
from analytics.ingest.events import events_ingest
from analytics.ingest.observations import observations_ingest
from analytics.models import Alert, Notification
from experiments import services
from experiments.models import Comment
from programme.holdouts import holdout_create
from programme.models import BoardReport, Notice, Postmortem, PostmortemAction
from programme.portfolio.rollup import portfolio_rollup_run
from roles.models import OperatorProfile, Role
from roles.services import service_token_create
from tests.analytics.helpers import START, binomial_rows, running_experiment
from tests.conftest import built_once, person
from tests.experiments.helpers import put_in_status
from tests.factories import (
    ExperimentFactory,
    HypothesisFactory,
    MetricFactory,
    ObjectiveFactory,
    PartnerFactory,
    SegmentFactory,
    TeamFactory,
    UserFactory,
)
from warehouse.models import DataSource, MetricDefinition
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db
ROWS = 12


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """The world, built once for the module (the tests only read; each test's own writes, if
    any, roll back)."""
    yield from built_once(
        django_db_blocker, lambda: build_world(person("cmo"), person("operator"), person("analyst"))
    )


@pytest.fixture
def world(built):
    return copy.deepcopy(built)


def build_world(cmo, operator, analyst):
    experiment = running_experiment(operator)
    for day in range(4):  # four looks of results, 16 observation rows
        observations_ingest(
            experiment_id=experiment.pk,
            actor=analyst,
            rows=binomial_rows((START + dt.timedelta(days=day + 1)).isoformat()),
        )
        experiments_analyse([experiment.pk])
    objective = ObjectiveFactory()
    parent = SegmentFactory()
    economics_ingest(
        segment_id=parent.pk,
        actor=analyst,
        rows=[
            {"period_start": (START - dt.timedelta(days=31 * n)).isoformat(),
             "period_end": (START - dt.timedelta(days=31 * n - 30)).isoformat(),
             "customers_acquired": n, "customer_value": 100 * n, "acquisition_cost": 50}
            for n in range(1, ROWS + 1)
        ],
    )  # fmt: skip
    hypothesis = HypothesisFactory(objective=objective)
    for n in range(ROWS):
        SegmentFactory(parent=parent)
        team = TeamFactory()
        team.members.add(UserFactory(), UserFactory())
        OperatorProfile.objects.create(
            user=UserFactory(role=Role.OPERATOR), channels=["web", "seo"], capacity=3
        )
        source = DataSource.objects.create(
            name=f"Source {n}", kind="duckdb", connection_ref="env:WAREHOUSE"
        )
        MetricDefinition.objects.create(
            metric=MetricFactory(), version=1, source=source, fact_table="events",
            user_column="user_id", time_column="ts", aggregation="conversion", direction="higher",
        )  # fmt: skip
        ObjectiveFactory()
        agency = PartnerFactory(name=f"Agency {n}")
        UserFactory(role=Role.PARTNER, partner=agency)
        other = ExperimentFactory(hypothesis=HypothesisFactory(objective=objective))
        other.secondary_metrics.add(MetricFactory())
        other.guardrail_metrics.add(MetricFactory())
        HypothesisFactory(iterates_on_experiment=other)  # a stream of two ideas
        Comment.objects.create(hypothesis=hypothesis, author=UserFactory(), body=f"H{n}")
        Comment.objects.create(experiment=experiment, author=UserFactory(), body=f"E{n}")
        alert = Alert.objects.create(experiment=other, kind="srm", message=f"SRM {n}")
        Notification.objects.create(recipient=analyst, alert=alert)
        Notification.objects.create(recipient=cmo, alert=alert)
        endpoint = WebhookEndpoint.objects.create(
            url=f"https://hooks.example.com/{n}", events=["experiment.approved"], created_by=cmo
        )
    for n in range(ROWS):
        WebhookDelivery.objects.create(
            endpoint=endpoint, event="ping", source=f"ping:{n}", payload={"n": n}
        )
    events_ingest(
        actor=analyst,
        events=[
            {"experiment": experiment.key, "variant": variant, "user_id": f"u{n}",
             "kind": "exposure", "timestamp": f"{START.isoformat()}T10:00:00Z"}
            for n in range(ROWS) for variant in ("control", "b")
        ],
    )  # fmt: skip
    for n in range(ROWS):
        template = services.template_create(
            actor=cmo, name=f"Protocol {n}", kind="landing_page", primary_metric=MetricFactory()
        )
        template.guardrail_metrics.add(MetricFactory(), MetricFactory())
        template.secondary_metrics.add(MetricFactory())
    for n in range(ROWS):
        killed = put_in_status(ExperimentFactory(owner=operator), "killed")
        postmortem = Postmortem.objects.create(
            experiment=killed, opened_by_step="kill", due_date=START, metric=MetricFactory()
        )
        PostmortemAction.objects.create(
            postmortem=postmortem, text=f"Act {n}", owner=UserFactory(), due_date=START
        )
        Notice.objects.create(
            recipient=analyst, kind=Notice.Kind.DECISION, subject=f"experiment:{killed.pk}",
            message=f"Decided {n}", experiment=killed,
        )  # fmt: skip
    for n in range(ROWS):
        holdout_create(
            actor=cmo, name=f"Held out {n}", segment=SegmentFactory(), share=0.05, started_on=START
        )
    for _ in range(ROWS):
        BoardReport.objects.create(
            period="month", period_start=START.replace(day=1), period_end=START, requested_by=cmo
        )
    for n in range(ROWS):
        service_token_create(actor=analyst, name=f"Program {n}", scopes=["read"], days=30)
    portfolio_rollup_run()
    return {
        "experiment": experiment,
        "hypothesis": hypothesis,
        "parent": parent,
        "endpoint": endpoint,
        "users": {"cmo": cmo, "analyst": analyst},
    }


LISTS = [
    # (who asks, url; {…} names a row of the world)
    ("analyst", "/api/v1/objectives/"),
    ("analyst", "/api/v1/segments/"),
    ("analyst", "/api/v1/segments/{parent}/economics/"),
    ("analyst", "/api/v1/teams/"),
    ("cmo", "/api/v1/partners/"),
    ("analyst", "/api/v1/tokens/"),
    ("analyst", "/api/v1/operators/"),
    ("analyst", "/api/v1/metrics/"),
    ("analyst", "/api/v1/datasources/"),
    ("analyst", "/api/v1/templates/"),
    ("analyst", "/api/v1/hypotheses/"),
    ("analyst", "/api/v1/hypotheses/{hypothesis}/comments/"),
    ("analyst", "/api/v1/experiments/"),
    ("analyst", "/api/v1/experiments/{experiment}/comments/"),
    ("analyst", "/api/v1/experiments/{experiment}/observations/"),
    ("analyst", "/api/v1/experiments/{experiment}/results/?history=1"),
    ("analyst", "/api/v1/results/"),
    ("analyst", "/api/v1/results/?status=running&status=draft&ordering=name"),
    ("analyst", "/api/v1/events/"),
    ("analyst", "/api/v1/events/?experiment={experiment}&variant=b&kind=exposure"),
    ("analyst", "/api/v1/rollups/"),
    ("analyst", "/api/v1/streams/"),
    ("analyst", "/api/v1/notifications/"),
    ("analyst", "/api/v1/reports/"),
    ("analyst", "/api/v1/postmortems/"),
    ("analyst", "/api/v1/notices/"),
    ("analyst", "/api/v1/holdouts/"),
    ("cmo", "/api/v1/webhooks/"),
    ("cmo", "/api/v1/webhooks/{endpoint}/deliveries/"),
]


def _queries(api, url) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(queries), response.json()


@pytest.mark.parametrize(("who", "url"), LISTS, ids=[url for _, url in LISTS])
def test_a_page_of_500_runs_the_queries_of_a_page_of_1(world, who, url):
    api = APIClient()
    api.force_authenticate(world["users"][who])
    path = url.format(**{k: getattr(v, "pk", v) for k, v in world.items() if k != "users"})
    joiner = "&" if "?" in path else "?"

    one, small = _queries(api, f"{path}{joiner}page_size=1")
    five_hundred, large = _queries(api, f"{path}{joiner}page_size=500")

    assert len(small["results"]) == 1
    assert len(large["results"]) > 1, "too few rows to tell"
    assert five_hundred <= one, (
        f"{one} queries for 1 row, {five_hundred} for {len(large['results'])}"
    )
    assert five_hundred <= 12


def test_the_table_lists_every_paged_list():
    """A new list endpoint must be added above (lists with ``count`` or a cursor)."""
    from growthops.api_urls import router

    listed = {url.split("?")[0].split("/")[3] for _, url in LISTS}
    from experiments.by_key import EXPERIMENT_REF
    from growthops.api import OneObjectSchema

    # Not paged: a route that answers one object, the index of the installed insights, and an
    # experiment's read-out links (a handful each).
    unpaged = {"insights", rf"experiments/(?P<experiment_pk>{EXPERIMENT_REF})/shares"}
    prefixes = {
        prefix
        for prefix, viewset, _ in router.registry
        if hasattr(viewset, "list")
        and not isinstance(getattr(viewset, "schema", None), OneObjectSchema)
        and prefix not in unpaged
    }
    assert prefixes <= listed, prefixes - listed
