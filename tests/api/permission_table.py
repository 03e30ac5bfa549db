"""Every endpoint × method → the expected status by role (tests/api/test_permission_table.py).

Each row names the status for the roles allowed; every other role gets 403 (the capability
table's reason) and anonymous gets 401. URLs name objects of the world in
tests/api/permission_world.py."""

from tests.analytics.helpers import START, binomial_rows
from tests.api.permission_partner_codes import PARTNER_CODES
from tests.api.permission_world import (
    datasource_body,
    economics_body,
    events_body,
    holdout_body,
    hypothesis_body,
    metric_body,
    objective_body,
    operator_body,
    postmortem_body,
    segment_body,
    team_body,
)

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

# The partner's column: the rule above, unless PARTNER_CODES names the row.
for _method, _url, _body, _expected in TABLE:
    _expected["partner"] = PARTNER_CODES.get((_method, _url), _expected["partner"])
