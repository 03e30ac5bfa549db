"""Forms a person enjoys: each step's note box names its action, several metrics are ticked
(no Ctrl-click), and dropdowns read in alphabetical order."""

import re

import pytest
from django.urls import reverse

from experiments.forms import step_form
from roles.models import Role
from tests.experiments.helpers import put_in_status
from tests.factories import (
    ExperimentFactory,
    MetricFactory,
    ObjectiveFactory,
    SegmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def options(html: str, select_id: str) -> list[str]:
    select = html.split(f'id="{select_id}"', 1)[1].split("</select>", 1)[0]
    return [label for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)<', select)
            if value]  # fmt: skip


@pytest.mark.parametrize(
    "step, label",
    [("submit", "Note for the reviewer"), ("approve", "Approval note"), ("pause", "Why pause"),
     ("complete", "Note on completing"), ("request_changes", "What needs to change"),
     ("kill", "Why")],
)  # fmt: skip
def test_each_steps_note_box_names_its_action(step, label):
    assert step_form(step).fields["note"].label == label


def test_the_page_labels_the_note_boxes_of_its_steps(client, operator):
    experiment = put_in_status(ExperimentFactory(owner=operator), "running")
    client.force_login(operator)
    html = client.get(reverse("experiments:detail", args=[experiment.pk])).content.decode()
    assert '<label class="form-label" for="pause-note">Why pause</label>' in html
    assert re.search(r'for="complete-note">Note on completing<', html)


def test_secondary_and_guardrail_metrics_are_checkboxes(client, operator):
    MetricFactory(key="revenue", name="Revenue")
    MetricFactory(key="aov", name="Average order")
    experiment = ExperimentFactory(owner=operator)
    client.force_login(operator)
    html = client.get(reverse("experiments:design-edit", args=[experiment.pk])).content.decode()
    assert "<select multiple" not in html and "Ctrl" not in html
    fieldset = html.split('<fieldset class="check-list', 1)[1].split("</fieldset>", 1)[0]
    assert "<legend" in fieldset and "Secondary metrics" in fieldset
    labels = re.findall(r'class="form-check-label" for="[^"]+">([^<]+)<', fieldset)
    assert labels == sorted(labels, key=str.casefold) and "Revenue" in labels


def test_dropdowns_are_sorted_by_what_they_show(client, marketer, operator):
    ObjectiveFactory(name="Zebra revenue")
    ObjectiveFactory(name="alpha retention")
    SegmentFactory(name="Young founders")
    SegmentFactory(name="Agencies")
    owner = UserFactory(username="aaa", first_name="Zoe", last_name="Young", role=Role.OPERATOR)
    ExperimentFactory(owner=owner)
    ExperimentFactory(owner=UserFactory(username="zzz", first_name="Adam", role=Role.OPERATOR))
    client.force_login(marketer)
    html = client.get(reverse("experiments:list")).content.decode()
    for select_id in ("id_objective", "id_segment", "id_owner", "id_channel"):
        shown = options(html, select_id)
        assert shown == sorted(shown, key=str.casefold), select_id
    assert options(html, "id_owner")[0] == "Adam"


def test_the_segments_table_is_built_to_fit_1280_px(client, cmo):
    segment = SegmentFactory(name="Tiny", monthly_reach=30)  # one person a day
    put_in_status(ExperimentFactory(segment=segment, daily_traffic=700), "running")
    client.force_login(cmo)
    html = client.get(reverse("programme:segments")).content.decode()
    assert 'class="table table-hover align-middle mb-0 segment-table wrap-head"' in html
    row = html.split(f'data-segment="{segment.pk}"', 1)[1].split("</tr>", 1)[0]
    cell = row.split('class="num traffic-share', 1)[1].split("</td>", 1)[0]
    assert "over reach" in cell and "700×" in cell and "70000" not in cell
