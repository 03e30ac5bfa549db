"""A segment's economics as data: the service's strictness, who may send, the audit trail, the
programme's recompute, and the API (JSON and CSV)."""

from decimal import Decimal

import pytest

from analytics.ingest.economics import economics_ingest, economics_parse_csv
from experiments.models import SegmentEconomics
from growthops.errors import NotPermitted, ValidationFailed
from programme import freshness
from programme.insights.registry import INSIGHTS
from roles.models import AuditEntry
from tests.api.problems import problem_errors
from tests.conftest import client_for
from tests.factories import ExperimentFactory, SegmentFactory

pytestmark = pytest.mark.django_db

OCTOBER = {
    "period_start": "2026-10-01",
    "period_end": "2026-10-31",
    "customers_acquired": 40,
    "customer_value": "12000.50",
    "acquisition_cost": "4000",
}
NOVEMBER = {**OCTOBER, "period_start": "2026-11-01", "period_end": "2026-11-30"}
CSV = (
    "period_start,period_end,customers_acquired,customer_value,acquisition_cost\n"
    "2026-10-01,2026-10-31,40,12000.50,4000\n"
    "2026-11-01,2026-11-30,50,15000,5000.25\n"
)


def test_an_analyst_uploads_periods_and_they_are_stored_exactly(analyst):
    segment = SegmentFactory()

    written = economics_ingest(segment_id=segment.pk, actor=analyst, rows=[OCTOBER, NOVEMBER])

    assert written == 2
    october, november = SegmentEconomics.objects.filter(segment=segment).order_by("period_start")
    assert (october.customers_acquired, october.customer_value, october.acquisition_cost) == (
        40, Decimal("12000.50"), Decimal("4000.00")
    )  # fmt: skip
    assert october.cac == Decimal("100")
    assert str(november.period_end) == "2026-11-30"
    (entry,) = AuditEntry.objects.all()
    assert (entry.actor, entry.subject, entry.subject_id, entry.action) == (
        analyst, "economics", segment.pk, "uploaded"
    )  # fmt: skip
    assert entry.changes["2026-10-01"][0] is None
    assert entry.changes["2026-10-01"][1]["customer_value"] == "12000.50"


def test_a_period_sent_again_is_replaced_and_the_audit_keeps_the_old_values(analyst):
    segment = SegmentFactory()
    economics_ingest(segment_id=segment.pk, actor=analyst, rows=[OCTOBER])

    economics_ingest(
        segment_id=segment.pk, actor=analyst, rows=[{**OCTOBER, "customers_acquired": 41}]
    )

    assert list(
        SegmentEconomics.objects.filter(segment=segment).values_list(
            "customers_acquired", flat=True
        )
    ) == [41]
    latest = AuditEntry.objects.order_by("-id").first()
    assert latest.changes["2026-10-01"][0]["customers_acquired"] == 40
    assert latest.changes["2026-10-01"][1]["customers_acquired"] == 41


@pytest.mark.parametrize(
    ("bad", "row", "message"),
    [
        ({"period_start": "2026-13-01"}, "row 2", "period_start: “2026-13-01” is not a date (YYYY-MM-DD)"),
        ({"period_end": "2026-09-30"}, "row 2", "period_end: 2026-09-30 is before the period's start (2026-10-01)"),
        ({"customers_acquired": "4.5"}, "row 2", "customers_acquired: “4.5” is not a whole number"),
        ({"customer_value": "-1"}, "row 2", "customer_value: must not be negative (got -1)"),
        ({"acquisition_cost": ""}, "row 2", "acquisition_cost: is required"),
        ({"period_start": "2099-01-01", "period_end": "2099-01-31"}, "row 2",
         "period_start: 2099-01-01 is in the future; a period's economics are of days past"),
        ({"channel": "seo"}, "row 2", "channel: unknown field"),
        ({"period_start": "2026-11-01"}, "row 2", "period_start: duplicates row 1 (one row per period)"),
    ],
)  # fmt: skip
def test_one_bad_row_refuses_the_batch_naming_row_and_column(analyst, bad, row, message):
    segment = SegmentFactory()
    with pytest.raises(ValidationFailed) as refused:
        economics_ingest(segment_id=segment.pk, actor=analyst, rows=[NOVEMBER, {**OCTOBER, **bad}])
    assert message in refused.value.errors[row]
    assert "nothing was saved" in refused.value.message
    assert not SegmentEconomics.objects.exists()
    assert not AuditEntry.objects.exists()


def test_the_segments_team_may_send_and_others_may_not(cmo, operator, operator2, marketer):
    segment = SegmentFactory()
    segment.owner_team.members.add(operator, marketer)

    economics_ingest(segment_id=segment.pk, actor=operator, rows=[OCTOBER])
    economics_ingest(segment_id=segment.pk, actor=marketer, rows=[NOVEMBER])

    for outsider in (operator2, cmo):
        with pytest.raises(NotPermitted) as refused:
            economics_ingest(segment_id=segment.pk, actor=outsider, rows=[OCTOBER])
        assert str(refused.value) == (
            f"Only members of {segment.owner_team} may upload a segment's economics "
            "(analysts, or the segment's team)."
        )
    assert SegmentEconomics.objects.filter(segment=segment).count() == 2


def test_an_upload_revalues_the_programme_on_commit(
    analyst, operator, django_capture_on_commit_callbacks
):
    segment = SegmentFactory()
    ExperimentFactory(owner=operator, segment=segment)
    with django_capture_on_commit_callbacks() as callbacks:
        economics_ingest(segment_id=segment.pk, actor=analyst, rows=[OCTOBER])
    queued = [
        list(c.args[0])
        for c in callbacks
        if getattr(c, "func", None) is freshness.queue_programme_refresh
    ]
    assert queued == [list(INSIGHTS)]


def test_the_csv_header_must_be_exact():
    rows = economics_parse_csv(CSV)
    assert rows[1]["acquisition_cost"] == "5000.25"
    with pytest.raises(ValidationFailed, match="missing column"):
        economics_parse_csv("period_start,period_end,customers_acquired,customer_value\n")


# --- the API ------------------------------------------------------------------------------


def test_the_api_takes_csv_and_lists_the_periods_newest_first(analyst, marketer):
    segment = SegmentFactory()
    url = f"/api/v1/segments/{segment.pk}/economics/"

    sent = client_for(analyst).generic("POST", url, CSV, content_type="text/csv")

    assert sent.status_code == 201, sent.content
    assert sent.json() == {"written": 2}
    listed = client_for(marketer).get(url).json()
    assert listed["count"] == 2
    assert [r["period_start"] for r in listed["results"]] == ["2026-11-01", "2026-10-01"]
    assert listed["results"][1]["cac"] == "100.00"
    assert listed["results"][1]["value_to_cost"] == "3.00"


def test_the_api_refuses_a_bad_json_row_with_a_400_and_writes_nothing(analyst):
    segment = SegmentFactory()
    response = client_for(analyst).post(
        f"/api/v1/segments/{segment.pk}/economics/",
        [OCTOBER, {**NOVEMBER, "customer_value": "lots"}],
        format="json",
    )
    assert response.status_code == 400
    assert problem_errors(response) == {"row 2": ["customer_value: “lots” is not a number"]}
    assert not SegmentEconomics.objects.exists()


def test_the_api_refuses_someone_outside_the_team(operator):
    segment = SegmentFactory()
    response = client_for(operator).post(
        f"/api/v1/segments/{segment.pk}/economics/", [OCTOBER], format="json"
    )
    assert response.status_code == 403
    assert "members of" in response.json()["detail"]
    assert not SegmentEconomics.objects.exists()
