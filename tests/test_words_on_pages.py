"""Pages speak the user's words: step messages say what happened and who acts next, and no
page points at the project's developer documents."""

import re

import pytest
from django.urls import reverse

from experiments.step_messages import reviewers_named
from roles.models import Role
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, UserFactory

pytestmark = pytest.mark.django_db


def take(client, experiment, step, **data):
    return client.post(
        reverse("experiments:step", args=[experiment.pk, step]),
        {"expected_status": experiment.status, **data},
        follow=True,
    )


def test_sending_for_review_names_who_will_approve(client, operator):
    UserFactory(username="carla", first_name="Carla", role=Role.CMO)
    experiment = ExperimentFactory(owner=operator, name="Logo wall")
    client.force_login(operator)
    html = take(client, experiment, "submit").content.decode()
    cmos = reviewers_named()
    assert "Carla" in cmos.split(" or ")
    assert f"Sent for review — {cmos} will be asked to approve “Logo wall”." in html
    assert "Done:" not in html


@pytest.mark.parametrize(
    "status, step, data, expected",
    [
        ("in_review", "approve", {}, "Approved — Olga can now start “Logo wall”."),
        ("in_review", "request_changes", {"note": "Tighten the MDE."},
         "Sent back to Olga with your note: “Logo wall” is a draft again."),
        ("running", "kill", {"reason": "harmful", "note": "Errors doubled."},
         "Stopped — “Logo wall” is killed; the reason is on its timeline."),
    ],
)  # fmt: skip
def test_the_cmo_reads_what_each_step_did(client, cmo, status, step, data, expected):
    owner = UserFactory(username="olga", first_name="Olga", role=Role.OPERATOR)
    experiment = put_in_status(ExperimentFactory(owner=owner, name="Logo wall"), status)
    client.force_login(cmo)
    assert expected in take(client, experiment, step, **data).content.decode()


def test_the_queue_says_the_same_words(client, cmo, operator):
    experiment = put_in_status(ExperimentFactory(owner=operator, name="Logo wall"), "in_review")
    client.force_login(cmo)
    response = client.post(
        reverse("programme:review-step", args=[experiment.pk, "approve"]),
        {"expected_status": "in_review"},
        follow=True,
    )
    assert "Approved — " in response.content.decode()


@pytest.mark.parametrize(
    "url",
    ["/", "/experiments/", "/hypotheses/", "/objectives/", "/segments/", "/team/", "/review/",
     "/learnings/", "/insights/", "/data-sources/", "/data-sources/new/", "/metrics/",
     "/metrics/new/"],
)  # fmt: skip
def test_no_page_points_at_developer_documents(client, cmo, url):
    ExperimentFactory()
    client.force_login(cmo)
    response = client.get(url)
    assert response.status_code == 200
    assert not re.search(r"docs/\w+\.md", response.content.decode())


def test_a_share_beyond_the_segment_reach_is_flagged_not_printed_as_a_percentage():
    from experiments.templatetags.ui import over_reach, reach_share

    assert reach_share(0.2) == "20.0%"
    assert reach_share(13321.43) == "over its reach (13,321×)"
    assert reach_share(1.5) == "over its reach (1.5×)"
    assert reach_share(None) == "—"
    assert over_reach(1.01) and not over_reach(1.0) and not over_reach(None)


def test_the_queue_flags_a_long_design_over_its_segment_traffic(client, cmo, operator):
    from tests.factories import SegmentFactory

    segment = SegmentFactory(monthly_reach=300)  # 10 people a day
    experiment = put_in_status(
        ExperimentFactory(owner=operator, segment=segment, daily_traffic=500, mde=0.01),
        "in_review",
    )
    client.force_login(cmo)
    html = client.get(reverse("programme:review")).content.decode()
    card = html.split(f'id="review-{experiment.pk}"', 1)[1].split("</article>", 1)[0]
    assert 'data-figure="segment-share">over its reach (50×)' in card
    assert 'data-flag="daily_traffic"' in card and 'data-flag="duration"' in card
    assert "over 90 days" in card
    assert "Check before approving:" in card
    # Approving such a design asks first, repeating what was flagged.
    approve = card.split('data-step="approve"', 1)[1].split(">", 1)[0]
    assert f'hx-confirm="Approve “{experiment.name}” as it is? Needs ' in approve
    assert "More than the segment has" in approve
