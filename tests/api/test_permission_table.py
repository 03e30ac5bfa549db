"""Every endpoint × method × role → the expected status; a refused write changes nothing.

Roles: the CMO, the operator who owns the experiments (``owner``), another operator, a
marketer, an analyst, and an anonymous caller. Each row names the status for the roles
allowed; every other role gets 403 (the capability table's reason) and anonymous gets 401.
"""

import copy
import datetime as dt
import uuid

import pytest
from django.apps import apps
from django.db import connection
from django.urls import resolve
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from analytics.models import (
    Alert,
    AnalysisState,
    Event,
    Notification,
    Observation,
    Result,
    SrmAcknowledgement,
)
from experiments.lifecycle import experiment_kill
from experiments.models import (
    Comment,
    Experiment,
    ExperimentTemplate,
    Hypothesis,
    Metric,
    Objective,
    Segment,
    StatusChange,
    Variant,
)
from experiments.services import template_create
from growthops.api_urls import router
from programme.holdouts import holdout_create
from programme.models import BoardReport, PortfolioRollup
from programme.shares import readout_share_create
from roles.models import OperatorProfile, ServiceToken, Team, User
from roles.services import service_token_create
from tests.analytics.helpers import START, binomial_rows, running_experiment
from tests.api.paths import AnyId
from tests.api.test_page_actions import mismatched
from tests.conftest import built_once, person
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
from webhooks.models import WebhookDelivery, WebhookEndpoint

ROLES = ["cmo", "owner", "other_operator", "marketer", "analyst", "partner", "anonymous"]
WITH_A_ROLE = ROLES[:-1]
IN_HOUSE = ROLES[:5]  # everyone with a role but an agency partner's people
OPERATORS = {"owner", "other_operator"}


def allowed(code, roles=IN_HOUSE, **others):
    """``code`` for ``roles``, 403 for the other roles, 401 for anonymous (unless ``others``)."""
    expected = {role: (code if role in roles else 403) for role in WITH_A_ROLE}
    expected["anonymous"] = 401
    expected.update(others)
    return expected


def not_taken():
    """A method the route does not take: 405 (with ``Allow``) for every role, 401 for
    anonymous (credentials are checked first)."""
    return {**dict.fromkeys(WITH_A_ROLE, 405), "anonymous": 401}


def objective_body(w):
    return {
        "name": "ARR",
        "kpi": "ARR",
        "baseline": "1",
        "target": "2",
        "target_date": "2027-12-31",
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


# (method, url, body, expected by role). URLs name objects of the world below.
TABLE = [
    # The API root, schema and docs.
    ("GET", "/api/v1/", None, allowed(200)),
    ("GET", "/api/schema/", None, allowed(200, anonymous=200)),  # public
    # Objectives: everyone reads; the CMO creates and edits.
    ("GET", "/api/v1/objectives/", None, allowed(200)),
    ("GET", "/api/v1/objectives/{objective}/", None, allowed(200)),
    ("POST", "/api/v1/objectives/", objective_body, allowed(201, {"cmo"})),
    ("PATCH", "/api/v1/objectives/{objective}/", {"description": "Why"}, allowed(200, {"cmo"})),
    ("PUT", "/api/v1/objectives/{objective}/", objective_body, allowed(200, {"cmo"})),
    ("DELETE", "/api/v1/objectives/{objective}/", None, not_taken()),
    ("POST", "/api/v1/objectives/{objective}/archive/", None, allowed(200, {"cmo"})),
    # The measured KPI: the CMO and analysts record it; everyone reads it.
    ("GET", "/api/v1/objectives/{objective}/measurements/", None, allowed(200)),
    (
        "POST",
        "/api/v1/objectives/{objective}/measurements/",
        [{"date": START.isoformat(), "value": 1_020_000}],
        allowed(201, {"cmo", "analyst"}),
    ),
    # Programme holdouts: everyone reads; the CMO keeps one; the CMO and analysts send data.
    ("GET", "/api/v1/holdouts/", None, allowed(200)),
    ("GET", "/api/v1/holdouts/{holdout}/", None, allowed(200)),
    ("POST", "/api/v1/holdouts/", holdout_body, allowed(201, {"cmo"})),
    ("PATCH", "/api/v1/holdouts/{holdout}/", {"share": 0.2}, not_taken()),
    ("GET", "/api/v1/holdouts/{holdout}/data/", None, allowed(200)),
    (
        "POST",
        "/api/v1/holdouts/{holdout}/data/",
        [
            {"date": START.isoformat(), "group": "holdout", "users": 100, "conversions": 10},
            {"date": START.isoformat(), "group": "exposed", "users": 900, "conversions": 99},
        ],
        allowed(201, {"cmo", "analyst"}),
    ),
    # Segments: everyone reads the tree; the CMO creates, launches and sunsets.
    ("GET", "/api/v1/segments/", None, allowed(200)),
    ("GET", "/api/v1/segments/{segment}/", None, allowed(200)),
    ("POST", "/api/v1/segments/", segment_body, allowed(201, {"cmo"})),
    ("POST", "/api/v1/segments/{spare_segment}/launch/", None, allowed(200, {"cmo"})),
    ("POST", "/api/v1/segments/{spare_segment}/sunset/", None, allowed(200, {"cmo"})),
    ("PATCH", "/api/v1/segments/{segment}/", {"name": "x"}, not_taken()),
    # A segment's economics: everyone reads; analysts and the segment's team (none here) send.
    ("GET", "/api/v1/segments/{segment}/economics/", None, allowed(200)),
    ("POST", "/api/v1/segments/{segment}/economics/", economics_body, allowed(201, {"analyst"})),
    ("PUT", "/api/v1/segments/{segment}/economics/", economics_body, not_taken()),
    # Teams and operators' profiles: everyone reads; the CMO creates and edits them.
    ("GET", "/api/v1/teams/", None, allowed(200)),
    ("GET", "/api/v1/teams/{team}/", None, allowed(200)),
    ("POST", "/api/v1/teams/", team_body, allowed(201, {"cmo"})),
    ("PATCH", "/api/v1/teams/{team}/", {"name": "Renamed"}, allowed(200, {"cmo"})),
    ("PUT", "/api/v1/teams/{team}/", team_body, not_taken()),
    ("DELETE", "/api/v1/teams/{team}/", None, not_taken()),
    ("GET", "/api/v1/operators/", None, allowed(200)),
    ("GET", "/api/v1/operators/{profile}/", None, allowed(200)),
    ("POST", "/api/v1/operators/", operator_body, allowed(201, {"cmo"})),
    ("PATCH", "/api/v1/operators/{profile}/", {"capacity": 4}, allowed(200, {"cmo"})),
    ("PUT", "/api/v1/operators/{profile}/", {"capacity": 4}, not_taken()),
    # Agency partners: the CMO reads, adds and edits them and adds their people; a partner's
    # people read their own partner only (another partner's is not found to them).
    ("GET", "/api/v1/partners/", None, allowed(200, {"cmo", "partner"})),
    ("GET", "/api/v1/partners/{partner_record}/", None, allowed(200, {"cmo"}, partner=404)),
    ("POST", "/api/v1/partners/", {"name": "Acme Media"}, allowed(201, {"cmo"})),
    (
        "PATCH",
        "/api/v1/partners/{partner_record}/",
        {"monthly_fee": "2500.00"},
        allowed(200, {"cmo"}),
    ),
    ("PUT", "/api/v1/partners/{partner_record}/", {"name": "x"}, not_taken()),
    (
        "POST",
        "/api/v1/partners/{partner_record}/users/",
        {"username": "acme_one", "password": "a-long-Passphrase-42"},
        allowed(201, {"cmo"}),
    ),
    # Metrics: read only.
    ("GET", "/api/v1/metrics/", None, allowed(200)),
    ("GET", "/api/v1/metrics/{metric}/", None, allowed(200)),
    # The metric library: analysts and the CMO define metrics; only the CMO marks official.
    ("POST", "/api/v1/metrics/", metric_body, allowed(201, {"cmo", "analyst"})),
    ("PATCH", "/api/v1/metrics/{metric}/", {"name": "Sign-ups"}, allowed(200, {"cmo", "analyst"})),
    ("PUT", "/api/v1/metrics/{metric}/", {"name": "x"}, not_taken()),
    ("POST", "/api/v1/metrics/{defined_metric}/official/", {"version": 1}, allowed(200, {"cmo"})),
    # Data sources: the CMO and analysts only (connection settings are named, never shown).
    ("GET", "/api/v1/datasources/", None, allowed(200, {"cmo", "analyst"})),
    ("GET", "/api/v1/datasources/{datasource}/", None, allowed(200, {"cmo", "analyst"})),
    ("POST", "/api/v1/datasources/", datasource_body, allowed(201, {"cmo", "analyst"})),
    (
        "PATCH",
        "/api/v1/datasources/{datasource}/",
        {"row_cap": 500},
        allowed(200, {"cmo", "analyst"}),
    ),
    ("PUT", "/api/v1/datasources/{datasource}/", {}, not_taken()),
    ("DELETE", "/api/v1/datasources/{spare_datasource}/", None, allowed(204, {"cmo", "analyst"})),
    ("POST", "/api/v1/datasources/{datasource}/test/", None, allowed(200, {"cmo", "analyst"})),
    # Hypotheses: everyone logs and comments; operators and the CMO score and triage.
    ("GET", "/api/v1/hypotheses/", None, allowed(200)),
    ("GET", "/api/v1/hypotheses/{idea}/", None, allowed(200)),
    ("POST", "/api/v1/hypotheses/", hypothesis_body, allowed(201)),
    (
        "POST",
        "/api/v1/hypotheses/{idea}/score/",
        {"impact": 9, "confidence": 9, "ease": 9},
        allowed(200, {"cmo", *OPERATORS}),
    ),
    (
        "POST",
        "/api/v1/hypotheses/{idea}/triage/",
        {"status": "backlog"},
        allowed(200, {"cmo", *OPERATORS}),
    ),
    ("PATCH", "/api/v1/hypotheses/{idea}/", {"status": "validated"}, not_taken()),
    ("GET", "/api/v1/hypotheses/{idea}/comments/", None, allowed(200)),
    ("POST", "/api/v1/hypotheses/{idea}/comments/", {"body": "Hm"}, allowed(201)),
    # Templates (protocols): everyone reads; the CMO and operators create and edit them.
    ("GET", "/api/v1/templates/", None, allowed(200)),
    ("GET", "/api/v1/templates/{template}/", None, allowed(200)),
    (
        "POST",
        "/api/v1/templates/",
        {"name": "Pricing page", "kind": "pricing", "locked_fields": ["alpha"]},
        allowed(201, {"cmo", *OPERATORS}),
    ),
    (
        "PATCH",
        "/api/v1/templates/{template}/",
        {"min_run_weeks": 2, "decision_rule": {"guardrail_tolerance": 0.01}},
        allowed(200, {"cmo", *OPERATORS}),
    ),
    (
        "PATCH",
        "/api/v1/templates/{template}/",
        {"locked_fields": ["status"]},
        allowed(400, {"cmo", *OPERATORS}),
    ),
    ("PUT", "/api/v1/templates/{template}/", {"name": "x"}, not_taken()),
    ("DELETE", "/api/v1/templates/{template}/", None, not_taken()),
    # Experiments: operators create; the owner edits a draft's design; steps by the table.
    ("GET", "/api/v1/experiments/", None, allowed(200)),
    ("GET", "/api/v1/experiments/{draft}/", None, allowed(200)),
    (
        "POST",
        "/api/v1/experiments/",
        lambda w: {"hypothesis": w["backlog"].pk, "name": "New", "key": "new-one"},
        allowed(201, OPERATORS),
    ),
    ("PATCH", "/api/v1/experiments/{draft}/", {"mde": 0.2}, allowed(200, {"owner"})),
    ("PUT", "/api/v1/experiments/{draft}/", {"mde": 0.2}, not_taken()),
    ("DELETE", "/api/v1/experiments/{draft}/", None, not_taken()),
    ("GET", "/api/v1/experiments/{draft}/timeline/", None, allowed(200)),
    # What an experiment cost: the CMO, and the operator who owns it.
    (
        "POST",
        "/api/v1/experiments/{draft}/cost/",
        {"build_cost": "1200.00", "media_cost": None},
        allowed(200, {"cmo", "owner"}),
    ),
    ("GET", "/api/v1/experiments/{draft}/comments/", None, allowed(200)),
    ("POST", "/api/v1/experiments/{draft}/comments/", {"body": "Go"}, allowed(201)),
    (
        "POST",
        "/api/v1/experiments/{draft}/steps/submit/",
        {"expected_status": "draft"},
        allowed(200, {"owner"}),
    ),
    (
        "POST",
        "/api/v1/experiments/{in_review}/steps/approve/",
        {"expected_status": "in_review"},
        allowed(200, {"cmo"}),
    ),
    (
        "POST",
        "/api/v1/experiments/{running}/steps/pause/",
        {"expected_status": "running"},
        allowed(200, {"owner"}),
    ),
    (
        "POST",
        "/api/v1/experiments/{running}/steps/kill/",
        {"expected_status": "running", "reason": "other", "note": "Stop"},
        allowed(200, {"cmo"}),
    ),
    (
        "POST",
        "/api/v1/experiments/{in_review}/steps/request_changes/",
        {"expected_status": "in_review", "note": "Tighten the MDE."},
        allowed(200, {"cmo"}),
    ),
    (
        "POST",
        "/api/v1/experiments/{approved}/steps/start/",
        {"expected_status": "approved"},
        allowed(200, {"owner"}),
    ),
    (
        "POST",
        "/api/v1/experiments/{paused}/steps/resume/",
        {"expected_status": "paused"},
        allowed(200, {"owner"}),
    ),
    (
        "POST",
        "/api/v1/experiments/{running}/steps/complete/",
        {
            "expected_status": "running",
            "analysis": "B won.",
            "recommendation": "scale",
            "confirm_srm": True,
            "override_reason": "The campaign ends today.",
        },
        allowed(200, {"owner"}),
    ),
    (
        "POST",
        "/api/v1/experiments/{completed}/steps/conclude/",
        {
            "expected_status": "completed",
            "decision": "scale",
            "outcome": "won",
            "learnings": "L",
            "override_reason": "Interviews back it.",
        },
        allowed(200, {"cmo"}),
    ),
    # Before the planned sample, and against the verdict: a reason is needed (409 without).
    (
        "POST",
        "/api/v1/experiments/{running}/steps/complete/",
        {
            "expected_status": "running",
            "analysis": "B won.",
            "recommendation": "scale",
            "confirm_srm": True,
        },
        allowed(409, {"owner"}),
    ),
    (
        "POST",
        "/api/v1/experiments/{completed}/steps/conclude/",
        {"expected_status": "completed", "decision": "scale", "outcome": "won", "learnings": "L"},
        allowed(409, {"cmo"}),
    ),
    # A step refused by the status (or a stale view of it) is a 409 to whoever may take it.
    (
        "POST",
        "/api/v1/experiments/{draft}/steps/start/",
        {"expected_status": "draft"},
        allowed(409, {"owner"}),
    ),
    (
        "POST",
        "/api/v1/experiments/{in_review}/steps/approve/",
        {"expected_status": "draft"},
        allowed(409, {"cmo"}),
    ),
    (
        "POST",
        "/api/v1/experiments/{running}/steps/complete/",
        {"expected_status": "running", "analysis": "B won.", "recommendation": "scale"},
        allowed(400, {"owner"}),  # over an unacknowledged SRM without confirm_srm
    ),
    # A step that does not exist, for every role that may read experiments.
    (
        "POST",
        "/api/v1/experiments/{draft}/steps/launch/",
        {"expected_status": "draft"},
        allowed(404),
    ),
    # A sample-ratio mismatch: the CMO and the owning operator acknowledge it (as on the page).
    (
        "POST",
        "/api/v1/experiments/{running}/srm/acknowledge/",
        {"note": "Bots"},
        allowed(200, {"cmo", "owner"}),
    ),
    ("POST", "/api/v1/experiments/{draft}/srm/acknowledge/", {}, allowed(400, {"cmo", "owner"})),
    ("GET", "/api/v1/experiments/{running}/srm/acknowledge/", None, not_taken()),
    # Data and results: analysts and the owning operator upload; everyone reads.
    ("GET", "/api/v1/experiments/{running}/observations/", None, allowed(200)),
    (
        "POST",
        "/api/v1/experiments/{running}/observations/",
        lambda w: binomial_rows(START.isoformat()),
        allowed(201, {"analyst", "owner"}),
    ),
    ("GET", "/api/v1/experiments/{running}/observations/?format=csv", None, allowed(200)),
    # An analysis asked for now: who uploads may ask; an experiment with no data is a 409.
    ("POST", "/api/v1/experiments/{running}/analyse/", None, allowed(202, {"analyst", "owner"})),
    # The warehouse: the exposure source and refreshes (the CMO, analysts, the owner).
    (
        "POST",
        "/api/v1/experiments/{running}/refresh/",
        None,
        allowed(202, {"cmo", "analyst", "owner"}),
    ),
    ("GET", "/api/v1/experiments/{running}/refreshes/", None, allowed(200)),
    ("GET", "/api/v1/experiments/{running}/warehouse/", None, allowed(200)),
    (
        "POST",
        "/api/v1/experiments/{running}/warehouse/",
        lambda w: {"source": w["datasource"].pk, "experiment_key": "pricing"},
        allowed(200, {"cmo", "analyst", "owner"}),
    ),
    ("POST", "/api/v1/experiments/{draft}/analyse/", None, allowed(409, {"analyst", "owner"})),
    ("GET", "/api/v1/experiments/{running}/analyse/", None, not_taken()),
    ("GET", "/api/v1/experiments/{running}/results/", None, allowed(200)),
    ("GET", "/api/v1/experiments/{running}/results/?history=1", None, allowed(200)),
    # Results by dimension and over a window: computed for every reader, never stored.
    ("GET", "/api/v1/experiments/{running}/results/?dimension=device", None, allowed(200)),
    (
        "GET",
        "/api/v1/experiments/{running}/results/?from=2026-11-01&to=2026-11-30",
        None,
        allowed(200),
    ),
    ("GET", "/api/v1/experiments/{running}/results/?dimension=devise", None, allowed(400)),
    # The portfolio read: the latest results of many experiments; everyone reads.
    ("GET", "/api/v1/results/", None, allowed(200)),
    ("GET", "/api/v1/results/?status=running", None, allowed(200)),
    ("GET", "/api/v1/results/?status=running&format=csv", None, allowed(200)),
    ("POST", "/api/v1/results/", {}, not_taken()),
    ("GET", "/api/v1/events/", None, allowed(200)),
    ("GET", "/api/v1/events/?format=csv", None, allowed(200)),
    ("GET", "/api/v1/events/?experiment={running}&kind=exposure", None, allowed(200)),
    ("POST", "/api/v1/events/", events_body, allowed(201, {"analyst", "owner"})),
    ("GET", "/api/v1/tasks/{task}/", None, allowed(200)),
    ("GET", "/api/v1/rollups/", None, allowed(200)),
    ("GET", "/api/v1/ledger/{objective}/", None, allowed(200)),
    # Streams of iterations: everyone reads.
    ("GET", "/api/v1/streams/", None, allowed(200)),
    ("GET", "/api/v1/streams/{stream}/", None, allowed(200)),
    ("GET", "/api/v1/insights/", None, allowed(200)),
    ("POST", "/api/v1/insights/", {}, not_taken()),
    ("GET", "/api/v1/insights/calibration/", None, allowed(200)),
    ("GET", "/api/v1/insights/capacity/", None, allowed(200)),
    ("GET", "/api/v1/insights/bottlenecks/", None, allowed(200)),
    ("GET", "/api/v1/insights/rechecks/", None, allowed(200)),
    ("GET", "/api/v1/insights/false-wins/", None, allowed(200)),
    ("GET", "/api/v1/insights/partners/", None, allowed(200)),
    ("GET", "/api/v1/insights/process-faults/", None, allowed(200)),
    # The user's own notifications; the stateless analysis.
    ("GET", "/api/v1/notifications/", None, allowed(200)),
    ("POST", "/api/v1/notifications/read/", None, allowed(200)),
    (
        "POST",
        "/api/v1/analyse/",
        {
            "metric_type": "binomial",
            "variants": [
                {"name": "a", "users": 10, "conversions": 1},
                {"name": "b", "users": 10, "conversions": 2},
            ],
        },
        allowed(200),
    ),  # fmt: skip
    # Read-out links: the CMO and the experiment's owner share and revoke.
    ("GET", "/api/v1/experiments/{running}/shares/", None, allowed(200, {"cmo", "owner"})),
    ("POST", "/api/v1/experiments/{running}/shares/", {"days": 3}, allowed(201, {"cmo", "owner"})),
    ("GET", "/api/v1/shares/{share}/", None, allowed(200, {"cmo", "owner"})),
    ("DELETE", "/api/v1/shares/{share}/", None, allowed(204, {"cmo", "owner"})),
    (
        "PATCH",
        "/api/v1/shares/{share}/",
        {"days": 3},
        not_taken(),
    ),
    # Board packs: the CMO and analysts ask for one; everyone with a role reads them.
    ("GET", "/api/v1/reports/", None, allowed(200)),
    ("POST", "/api/v1/reports/", {"period": "month"}, allowed(202, {"cmo", "analyst"})),
    ("GET", "/api/v1/reports/{report}/", None, allowed(200)),
    ("GET", "/api/v1/reports/{report}/pdf/", None, allowed(409)),  # queued: no PDF yet
    # Post-mortems: everyone reads; the CMO and the experiment's owner open and write them.
    ("GET", "/api/v1/experiments/{killed}/postmortem/", None, allowed(200)),
    ("GET", "/api/v1/experiments/{draft}/postmortem/", None, allowed(404)),
    (
        "POST",
        "/api/v1/experiments/{decided_bare}/postmortem/",
        {"cause": "idea_wrong", "faults": ["timing"]},
        allowed(201, {"cmo", "owner"}),
    ),
    ("POST", "/api/v1/experiments/{killed}/postmortem/", {}, allowed(409, {"cmo", "owner"})),
    ("POST", "/api/v1/experiments/{running}/postmortem/", {}, allowed(409, {"cmo", "owner"})),
    (
        "PATCH",
        "/api/v1/experiments/{killed}/postmortem/",
        postmortem_body,
        allowed(200, {"cmo", "owner"}),
    ),
    (
        "PATCH",
        "/api/v1/experiments/{killed}/postmortem/",
        {"faults": ["none", "data"]},
        allowed(400, {"cmo", "owner"}),
    ),
    ("PUT", "/api/v1/experiments/{killed}/postmortem/", {}, not_taken()),
    ("GET", "/api/v1/postmortems/", None, allowed(200)),
    ("GET", "/api/v1/postmortems/?fault=data&lift_min=0.01", None, allowed(200)),
    ("GET", "/api/v1/postmortems/?fault=luck", None, allowed(400)),
    # One's own notices.
    ("GET", "/api/v1/notices/", None, allowed(200)),
    ("POST", "/api/v1/notices/read/", None, allowed(200)),
    # One's own service tokens: everyone lists and creates them; another's is not found.
    ("GET", "/api/v1/tokens/", None, allowed(200)),
    ("POST", "/api/v1/tokens/", {"name": "Nightly", "scopes": ["read"]}, allowed(201)),
    ("DELETE", "/api/v1/tokens/{service_token}/", None, allowed(404, cmo=204)),
    ("PATCH", "/api/v1/tokens/{service_token}/", {"name": "x"}, not_taken()),
    # Who the caller is; signing in for a token is open to all (here with wrong credentials).
    ("GET", "/api/v1/auth/me/", None, allowed(200)),
    # One's own digest preference: everyone with a role.
    ("GET", "/api/v1/auth/me/digest/", None, allowed(200)),
    ("PATCH", "/api/v1/auth/me/digest/", {"frequency": "daily"}, allowed(200)),
    ("PUT", "/api/v1/auth/me/digest/", {"frequency": "daily"}, not_taken()),
    (
        "POST",
        "/api/v1/auth/token/",
        {"username": "nobody", "password": "wrong"},
        allowed(400, anonymous=400),
    ),
]

# A partner's people (``partner``): 403 where the role holds no ability (the programme's
# roll-ups, insights, teams, templates…); where it does, another's experiment (here the
# in-house team's) and what hangs off it are not found, and a write naming one is refused.
PARTNER_CODES = {
    **{
        (method, url): 404
        for method, url in [
            ("GET", "/api/v1/experiments/{draft}/"),
            ("PATCH", "/api/v1/experiments/{draft}/"),
            ("GET", "/api/v1/experiments/{draft}/comments/"),
            ("POST", "/api/v1/experiments/{draft}/comments/"),
            ("GET", "/api/v1/experiments/{draft}/timeline/"),
            ("GET", "/api/v1/experiments/{killed}/postmortem/"),
            ("GET", "/api/v1/experiments/{running}/observations/"),
            ("GET", "/api/v1/experiments/{running}/observations/?format=csv"),
            ("POST", "/api/v1/experiments/{running}/observations/"),
            ("GET", "/api/v1/experiments/{running}/results/"),
            ("GET", "/api/v1/experiments/{running}/results/?history=1"),
            ("GET", "/api/v1/experiments/{running}/results/?dimension=device"),
            ("GET", "/api/v1/experiments/{running}/results/?from=2026-11-01&to=2026-11-30"),
            ("GET", "/api/v1/experiments/{running}/results/?dimension=devise"),
            ("POST", "/api/v1/experiments/{running}/analyse/"),
            ("POST", "/api/v1/experiments/{draft}/analyse/"),
            ("GET", "/api/v1/experiments/{running}/shares/"),
            ("POST", "/api/v1/experiments/{running}/shares/"),
            ("GET", "/api/v1/shares/{share}/"),
            ("DELETE", "/api/v1/shares/{share}/"),
            ("POST", "/api/v1/experiments/{running}/srm/acknowledge/"),
            ("POST", "/api/v1/experiments/{draft}/srm/acknowledge/"),
            ("GET", "/api/v1/hypotheses/{idea}/"),
            ("GET", "/api/v1/hypotheses/{idea}/comments/"),
            ("POST", "/api/v1/hypotheses/{idea}/comments/"),
            ("GET", "/api/v1/objectives/{objective}/"),
            ("GET", "/api/v1/segments/{segment}/"),
            ("GET", "/api/v1/partners/{partner_record}/"),
            *(
                ("POST", f"/api/v1/experiments/{{{status}}}/steps/{step}/")
                for status, step in [
                    ("draft", "submit"),
                    ("draft", "start"),
                    ("in_review", "approve"),
                    ("in_review", "request_changes"),
                    ("approved", "start"),
                    ("paused", "resume"),
                    ("running", "pause"),
                    ("running", "complete"),
                    ("running", "kill"),
                    ("completed", "conclude"),
                ]
            ),  # fmt: skip
        ]
    },
    ("POST", "/api/v1/experiments/"): 400,  # from an idea it neither logged nor tests
    ("POST", "/api/v1/auth/token/"): 400,  # wrong credentials, as for everyone
    ("DELETE", "/api/v1/tokens/{service_token}/"): 404,  # another's token
    ("GET", "/api/v1/experiments/{draft}/postmortem/"): 404,
    ("POST", "/api/v1/experiments/{draft}/steps/launch/"): 404,  # no such step
    # What it may read: its own (here none) in every list, the metrics, the API's description.
    **{
        (method, url): 200
        for method, url in [
            ("GET", "/api/v1/"),
            ("GET", "/api/schema/"),
            ("GET", "/api/v1/auth/me/"),
            ("GET", "/api/v1/experiments/"),
            ("GET", "/api/v1/hypotheses/"),
            ("GET", "/api/v1/objectives/"),
            ("GET", "/api/v1/segments/"),
            ("GET", "/api/v1/metrics/"),
            ("GET", "/api/v1/metrics/{metric}/"),
            ("GET", "/api/v1/events/"),
            ("GET", "/api/v1/events/?format=csv"),
            ("GET", "/api/v1/events/?experiment={running}&kind=exposure"),
            ("GET", "/api/v1/notifications/"),
            ("POST", "/api/v1/notifications/read/"),
            ("GET", "/api/v1/notices/"),
            ("POST", "/api/v1/notices/read/"),
            ("GET", "/api/v1/tokens/"),
            ("POST", "/api/v1/analyse/"),
        ]
    },
    ("POST", "/api/v1/hypotheses/"): 201,
    ("POST", "/api/v1/tokens/"): 201,
}
# A method the route does not take, on a route it may use.
PARTNER_CODES.update(
    {
        key: 405
        for key in [
            ("PUT", "/api/v1/experiments/{draft}/"),
            ("DELETE", "/api/v1/experiments/{draft}/"),
            ("DELETE", "/api/v1/objectives/{objective}/"),
            ("GET", "/api/v1/experiments/{running}/analyse/"),
            ("GET", "/api/v1/experiments/{running}/srm/acknowledge/"),
            ("PATCH", "/api/v1/hypotheses/{idea}/"),
            ("PATCH", "/api/v1/segments/{segment}/"),
            ("PATCH", "/api/v1/tokens/{service_token}/"),
            ("PUT", "/api/v1/experiments/{killed}/postmortem/"),
            ("PATCH", "/api/v1/shares/{share}/"),
            ("PUT", "/api/v1/metrics/{metric}/"),
        ]
    }
)
for _method, _url, _body, _expected in TABLE:
    _expected["partner"] = PARTNER_CODES.get((_method, _url), _expected["partner"])

CASES = [
    pytest.param(method, url, body, role, expected[role], id=f"{method} {url} {role}")
    for method, url, body, expected in TABLE
    for role in ROLES
]


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


@pytest.fixture(scope="module")
def built_world(django_db_setup, django_db_blocker):
    """The world is only read and written through the API, and each test's writes are rolled
    back: build it once for the module's tests."""
    yield from built_once(django_db_blocker, build_world)


@pytest.fixture
def world(built_world):
    return copy.deepcopy(built_world)


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


def test_the_snapshot_covers_the_models_a_write_could_change():
    covered = set(SNAPSHOT_MODELS)
    for model in (
        Objective, Segment, Hypothesis, Experiment, Variant, Comment, StatusChange, Observation,
        Event, Result, Notification, Alert, Token, Team, OperatorProfile, User, Metric,
        PortfolioRollup, SrmAcknowledgement, WebhookEndpoint, WebhookDelivery,
        Team.members.through, Experiment.secondary_metrics.through, ExperimentTemplate,
        ServiceToken,
    ):  # fmt: skip
        assert model in covered, model


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url", "body", "role", "expected"), CASES)
def test_every_endpoint_method_and_role(world, method, url, body, role, expected):
    api = APIClient()
    user = world["users"][role]
    if user is not None:
        api.force_authenticate(user)
    path = url.format(**{k: getattr(v, "pk", v) for k, v in world.items() if k != "users"})
    data = body(world) if callable(body) else body
    refused_write = method != "GET" and expected >= 400
    before = snapshot() if refused_write else None

    response = getattr(api, method.lower())(path, data, format="json")

    assert response.status_code == expected, (response.status_code, response.content[:300])
    if expected in (401, 403):
        assert response.data["detail"]
    if refused_write:
        assert snapshot() == before, "a refused write changed something"


def test_the_table_covers_every_route_and_method():
    from tests.webhooks.test_api import ROUTES as WEBHOOK_ROUTES  # the webhooks' own role table

    covered = set()
    for method, url, _, _ in TABLE:
        path = url.split("?")[0].format_map(AnyId())
        covered.add((resolve(path).url_name, method))
    for method, url, _ in WEBHOOK_ROUTES:
        covered.add((resolve(url.format_map(AnyId())).url_name, method.upper()))
    missing = []
    for prefix, viewset, basename in router.registry:
        for route in router.get_routes(viewset):
            for method, handler in route.mapping.items():
                if not hasattr(viewset, handler):
                    continue
                name = route.name.format(basename=basename)
                if (name, method.upper()) not in covered:
                    missing.append(f"{method.upper()} {prefix} ({name})")
    assert not missing, missing
