"""What waits moves when someone acts: the approval queue's headings after a step taken in
place, and the capacity queue after a design is killed or sent back."""

import re

import pytest
from django.core.cache import cache

from experiments.lifecycle import experiment_kill, experiment_request_changes
from programme import freshness
from programme.insights.run import insight_report
from tests.factories import HypothesisFactory, SegmentFactory
from tests.programme.test_review_queue import HTMX, in_review, step_url

pytestmark = pytest.mark.django_db


def counts(html: str) -> dict[str, int]:
    return {
        name: int(count)
        for name, count in re.findall(r'id="(queue-size|decisions-size)" data-count="(\d+)"', html)
    }


@pytest.mark.parametrize(
    "step, data",
    [
        ("approve", {}),
        ("request_changes", {"note": "Tighten the MDE."}),
        ("kill", {"reason": "harmful", "note": "Checkout errors doubled."}),
    ],
)
def test_the_waiting_count_moves_after_a_step_taken_in_place(client, cmo, operator, step, data):
    designs = [in_review(operator) for _ in range(4)]
    client.force_login(cmo)
    page = client.get("/review/").content.decode()
    assert "4 designs waiting" in page and counts(page)["queue-size"] == 4

    response = client.post(
        step_url(designs[0], step), {"expected_status": "in_review", **data}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="queue-size" data-count="3" hx-swap-oob="true">3 designs waiting' in html
    assert counts(html) == {"queue-size": 3, "decisions-size": 0}
    assert counts(client.get("/review/").content.decode())["queue-size"] == 3


def test_the_last_design_leaves_an_empty_heading(client, cmo, operator):
    design = in_review(operator)
    client.force_login(cmo)
    html = client.post(
        step_url(design, "approve"), {"expected_status": "in_review"}, headers=HTMX
    ).content.decode()
    assert ">0 designs waiting</p>" in html


@pytest.mark.django_db(transaction=True)
def test_killed_and_sent_back_designs_leave_the_capacity_queue(cmo, operator):
    cache.delete(freshness.QUEUED_KEY)
    segment = SegmentFactory(name="SMB", monthly_reach=60_000)
    kept, killed, sent_back = (
        in_review(operator, hypothesis=HypothesisFactory(segment=segment)) for _ in range(3)
    )

    def queued() -> set[int]:
        plans = insight_report("capacity").data["segments"]
        return {item["id"] for plan in plans if plan["id"] == segment.pk for item in plan["queue"]}

    assert queued() == {kept.pk, killed.pk, sent_back.pk}
    experiment_kill(experiment_id=killed.pk, actor=cmo, reason="harmful", note="Off strategy.")
    experiment_request_changes(experiment_id=sent_back.pk, actor=cmo, note="Tighten the MDE.")
    # Each step's commit recomputed the insight (tasks in-process): no nightly run needed.
    assert queued() == {kept.pk}
