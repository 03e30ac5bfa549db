"""The world the permission table's requests are made in (built once per module by the tests
that use it), the request bodies that name its objects, and a snapshot of every row a write
could change."""

import datetime as dt
import uuid

from django.apps import apps
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from analytics.models import Alert, AnalysisState, Notification
from experiments.lifecycle import experiment_kill
from experiments.services import template_create
from programme.holdouts import holdout_create
from programme.models import BoardReport
from programme.shares import readout_share_create
from roles.models import OperatorProfile
from roles.services import service_token_create
from tests.analytics.helpers import START, running_experiment
from tests.api.test_page_actions import mismatched
from tests.conftest import person
from tests.experiments.helpers import put_in_status
from tests.factories import (
    ExperimentFactory,
    HypothesisFactory,
    MetricFactory,
    PartnerFactory,
    SegmentFactory,
    TeamFactory,
    UserFactory,
)
from warehouse.models import DataSource, ExperimentSource, MetricDefinition


def objective_body(w):
    return {
        "name": "ARR",
        "kpi": "ARR",
        "baseline": "1",
        "target": "2",
        "target_date": (timezone.localdate() + dt.timedelta(days=365)).isoformat(),
    }


def holdout_body(w):
    return {
        "name": "Kept away",
        "segment": w["segment"].pk,
        "share": 0.05,
        "started_on": "2026-11-01",
    }


def segment_body(w):
    return {"name": "New", "owner_team": w["team"].pk, "monthly_reach": 5, "definition": "x"}


def economics_body(w):
    return [
        {"period_start": "2026-10-01", "period_end": "2026-10-31", "customers_acquired": 40,
         "customer_value": "12000.50", "acquisition_cost": "4000"}
    ]  # fmt: skip


def team_body(w):
    return {"name": "Onboarding crew", "members": [w["users"]["marketer"].pk]}


def operator_body(w):
    return {"user": w["users"]["other_operator"].pk, "channels": ["seo"], "capacity": 2}


def hypothesis_body(w):
    h = w["idea"]
    return {
        "title": "T", "observation": "o", "change": "c", "effect": "e", "metric": h.metric.key,
        "expected_mde": 0.1, "channel": "web", "objective": h.objective_id,
        "segment": h.segment_id, "impact": 5, "confidence": 5, "ease": 5,
    }  # fmt: skip


def events_body(w):
    return [
        {"experiment": w["running"].key, "variant": "control", "user_id": "u1",
         "kind": "exposure", "timestamp": f"{START.isoformat()}T10:00:00Z"}
    ]  # fmt: skip


def metric_body(w):
    return {
        "key": "purchases", "name": "Purchases", "source": w["datasource"].pk,
        "fact_table": "events", "user_column": "user_pseudo_id",
        "time_column": "event_timestamp", "aggregation": "conversion",
        "filters": [{"column": "event_name", "op": "=", "value": "purchase"}],
    }  # fmt: skip


def datasource_body(w):
    return {"name": "GA4 export", "kind": "bigquery", "connection_ref": "env:BQ_CREDENTIALS"}


def postmortem_body(w):
    due = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    return {
        "cause": "measurement", "why": "Tags fired twice.", "faults": ["data"],
        "actions": [{"text": "Check tags", "owner": "operator2", "due_date": due}],
    }  # fmt: skip


def build_world():
    cmo, operator, operator2, marketer, analyst = (
        person(name) for name in ("cmo", "operator", "operator2", "marketer", "analyst")
    )
    # One of an agency partner's people: the world's experiments are the in-house team's, so
    # every one of them is refused (tests/api/test_partner_isolation.py for another partner's).
    partner = UserFactory(username="agency_person", role="partner")

    running = running_experiment(operator)
    mismatched(running)
    AnalysisState.objects.create(experiment=running, data_version=1)  # the look above
    draft = ExperimentFactory(owner=operator)
    in_review = put_in_status(ExperimentFactory(owner=operator), "in_review")
    idea = HypothesisFactory(status="new")
    team = TeamFactory()
    alert = Alert.objects.create(experiment=running, kind="srm", message="SRM")
    for user in (cmo, operator, operator2, marketer, analyst):
        Notification.objects.create(recipient=user, alert=alert)
    datasource = DataSource.objects.create(
        name="Warehouse", kind="duckdb", connection_ref="env:GROWTHOPS_NO_SUCH_WAREHOUSE"
    )
    ExperimentSource.objects.create(experiment=running, source=datasource)
    defined_metric = MetricFactory(key="defined", kind="binomial")
    MetricDefinition.objects.create(
        metric=defined_metric, version=1, source=datasource, fact_table="events",
        user_column="user_pseudo_id", time_column="event_timestamp", aggregation="conversion",
        direction="higher",
    )  # fmt: skip
    return {
        "datasource": datasource,
        "spare_datasource": DataSource.objects.create(
            name="Spare", kind="postgres", connection_ref="env:SPARE_DSN"
        ),
        "defined_metric": defined_metric,
        "users": {
            "cmo": cmo,
            "owner": operator,
            "other_operator": operator2,
            "marketer": marketer,
            "analyst": analyst,
            "partner": partner,
            "anonymous": None,
        },
        "running": running,
        "draft": draft,
        "in_review": in_review,
        "approved": put_in_status(ExperimentFactory(owner=operator), "approved"),
        "paused": put_in_status(ExperimentFactory(owner=operator), "paused", start_date=START),
        "completed": put_in_status(
            ExperimentFactory(owner=operator), "completed", start_date=START, recommendation="scale"
        ),
        "idea": idea,
        "backlog": HypothesisFactory(status="backlog"),
        "stream": HypothesisFactory(iterates_on_hypothesis=idea).iterates_on_hypothesis,
        "objective": draft.objective,
        "segment": draft.segment,
        "spare_segment": SegmentFactory(),
        "team": team,
        "profile": OperatorProfile.objects.create(user=operator, channels=["web"], capacity=10),
        "metric": running.primary_metric,
        "template": template_create(actor=cmo, name="E-mail subject", kind="email_subject"),
        "task": uuid.uuid4(),
        "share": readout_share_create(experiment_id=running.pk, actor=operator),
        "report": BoardReport.objects.create(
            period="month", period_start=START.replace(day=1), period_end=START
        ),
        "killed": experiment_kill(
            experiment_id=put_in_status(ExperimentFactory(owner=operator), "running").pk,
            actor=cmo,
            reason="broken_setup",
            note="Tags",
        ),
        "decided_bare": put_in_status(
            ExperimentFactory(owner=operator), "concluded", decision="abandon", outcome="lost"
        ),
        "service_token": service_token_create(
            actor=cmo, name="Dashboard", scopes=["read"], days=30
        )[0],
        "partner_record": PartnerFactory(name="Brightline"),
        "holdout": holdout_create(
            actor=cmo, name="Held out", segment=draft.segment, share=0.05, started_on=START
        ),
    }


# Every table of the project's apps (many-to-many tables too) and the API tokens.
SNAPSHOT_MODELS = [
    *(
        model
        for app in ("roles", "experiments", "analytics", "warehouse", "programme", "webhooks")
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
    ),
    Token,
]


def snapshot():
    """Everything a write could change: every row of those tables, each column as stored.

    Read with plain SQL (``SELECT *`` per table): building fifty ORM queries cost more than
    the request under test."""
    quote = connection.ops.quote_name
    state = {}
    with connection.cursor() as cursor:
        for model in SNAPSHOT_MODELS:
            cursor.execute(f"SELECT * FROM {quote(model._meta.db_table)}")
            state[model._meta.label] = sorted(cursor.fetchall(), key=repr)
    return state
