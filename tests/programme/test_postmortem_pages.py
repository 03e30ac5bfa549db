"""The post-mortem in the browser: the experiment page's panel, the edit page, the search, the
notices page and the dashboard's overdue panel."""

import datetime as dt

import pytest
from django.utils import timezone

from experiments.lifecycle import experiment_kill
from programme.models import Notice, Postmortem, PostmortemAction
from tests.analytics.helpers import running_experiment
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, HypothesisFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def killed(cmo, operator, marketer):
    experiment = running_experiment(
        operator, hypothesis=HypothesisFactory(author=marketer), name="Logo strip"
    )
    experiment_kill(experiment_id=experiment.pk, actor=cmo, reason="broken_setup", note="Tags.")
    return experiment


def panel(client, experiment):
    return client.get(f"/experiments/{experiment.pk}/postmortem/", HTTP_HX_REQUEST="true")


def test_the_experiment_page_loads_the_panel(client, killed, marketer):
    client.force_login(marketer)

    page = client.get(f"/experiments/{killed.pk}/").content.decode()
    assert f'hx-get="/experiments/{killed.pk}/postmortem/"' in page

    html = panel(client, killed).content.decode()
    assert 'data-status="draft"' in html
    assert "Killed: Broken set-up or tracking — Tags." in html
    assert "edit-postmortem" not in html  # a marketer reads only


def test_the_owner_sees_the_edit_link_and_saves_with_an_action(client, killed, operator, operator2):
    client.force_login(operator)
    assert 'id="edit-postmortem"' in panel(client, killed).content.decode()
    due = (timezone.localdate() + dt.timedelta(days=4)).isoformat()
    next_idea = HypothesisFactory(status="backlog", title="Logos on the checkout")
    tested = HypothesisFactory(status="validated", title="An idea tested long ago")
    page = client.get(f"/experiments/{killed.pk}/postmortem/edit/").content.decode()
    assert "Logos on the checkout" in page and "An idea tested long ago" not in page
    form = {
        "believed": "Logos build trust.", "happened": "Tags fired twice.",
        "cause": "measurement", "why": "Double tag.", "faults": ["data", "execution"],
        "next_hypothesis": str(next_idea.pk), "due_date": due, "status": "complete",
        "actions-TOTAL_FORMS": "2", "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0", "actions-MAX_NUM_FORMS": "30",
        "actions-0-text": "Test tags in staging", "actions-0-owner": str(operator2.pk),
        "actions-0-due_date": due, "actions-1-text": "",
    }  # fmt: skip

    response = client.post(f"/experiments/{killed.pk}/postmortem/edit/", form)

    assert response.status_code == 302
    pm = Postmortem.objects.get(experiment=killed)
    assert (pm.status, pm.cause, pm.faults) == ("complete", "measurement", ["data", "execution"])
    assert pm.next_hypothesis == next_idea and tested.pk != next_idea.pk
    action = PostmortemAction.objects.get()
    assert (action.text, action.owner, action.due_date.isoformat()) == (
        "Test tags in staging",
        operator2,
        due,
    )
    html = panel(client, killed).content.decode()
    assert "Test tags in staging" in html and "Measurement or tracking went wrong" in html


def test_a_refused_save_keeps_the_input_and_says_why(client, killed, operator):
    client.force_login(operator)
    past = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    form = {
        "believed": "b", "happened": "h", "cause": "", "why": "", "faults": ["none", "data"],
        "due_date": past, "status": "draft",
        "actions-TOTAL_FORMS": "1", "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0", "actions-MAX_NUM_FORMS": "30",
        "actions-0-text": "Fix it", "actions-0-owner": "", "actions-0-due_date": past,
    }  # fmt: skip

    response = client.post(f"/experiments/{killed.pk}/postmortem/edit/", form)

    assert response.status_code == 200
    html = response.content.decode()
    assert "“none” cannot go with another fault." in html
    assert "Name an active person of the team as the owner." in html
    assert 'value="Fix it"' in html
    assert not PostmortemAction.objects.exists()
    assert Postmortem.objects.get(experiment=killed).happened != "h"


@pytest.mark.parametrize("who", ["operator2", "marketer"])
def test_others_may_not_open_the_edit_page(client, killed, cast, who):
    client.force_login(cast[who])

    assert client.get(f"/experiments/{killed.pk}/postmortem/edit/").status_code == 403
    assert client.post(f"/experiments/{killed.pk}/postmortem/edit/", {}).status_code == 403


def test_an_old_decided_experiment_gets_an_open_button(client, cmo, operator):
    experiment = put_in_status(ExperimentFactory(owner=operator), "concluded", decision="scale")
    client.force_login(cmo)
    assert 'id="open-postmortem"' in panel(client, experiment).content.decode()

    response = client.post(f"/experiments/{experiment.pk}/postmortem/")

    assert response.status_code == 302
    assert response["Location"] == f"/experiments/{experiment.pk}/postmortem/edit/"
    assert Postmortem.objects.get(experiment=experiment).decision == "scale"


def test_the_search_page_filters(client, killed, analyst, operator):
    other = put_in_status(ExperimentFactory(owner=operator, name="Hero copy"), "killed")
    Postmortem.objects.create(experiment=other, due_date=timezone.localdate(), fault_timing=True)
    Postmortem.objects.filter(experiment=killed).update(fault_data=True)
    client.force_login(analyst)

    html = client.get("/postmortems/?fault=data").content.decode()

    assert "Logo strip" in html and "Hero copy" not in html
    both = client.get("/postmortems/").content.decode()
    assert "Logo strip" in both and "Hero copy" in both
    bad = client.get("/postmortems/?lift_min=lots").content.decode()
    assert "Nothing was filtered" in bad


def test_the_search_page_says_when_each_draft_is_due(client, killed, analyst):
    late = timezone.localdate() - dt.timedelta(days=3)
    Postmortem.objects.filter(experiment=killed).update(due_date=late)
    client.force_login(analyst)

    html = client.get("/postmortems/").content.decode()

    row = html.split(f'data-postmortem="{killed.pk}"')[1].split("</tr>")[0]
    assert f'href="/experiments/{killed.pk}/postmortem/"' in row  # opens the post-mortem
    assert f"{late:%-d %b %Y} · overdue</span>" in row and "text-danger" in row
    Postmortem.objects.filter(experiment=killed).update(status="complete")
    row = client.get("/postmortems/").content.decode().split(f'data-postmortem="{killed.pk}"')[1]
    assert '<td class="text-nowrap" data-due>—</td>' in row.split("</tr>")[0]


def test_notices_show_in_the_top_bar_and_are_marked_read(client, killed, marketer):
    client.force_login(marketer)

    home = client.get("/").content.decode()
    assert 'id="notices-count" aria-label="1 unread"' in home
    page = client.get("/notices/").content.decode()
    assert "was stopped: broken set-up or tracking." in page
    notice = Notice.objects.get(recipient=marketer)

    response = client.post("/notices/read/", {"notice": notice.pk})

    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert 'id="notices-count"' not in client.get("/").content.decode()


def test_the_dashboard_lists_overdue_work(client, killed, operator):
    Postmortem.objects.filter(experiment=killed).update(
        due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    client.force_login(operator)

    html = client.get("/").content.decode()

    assert 'id="overdue"' in html and "Post-mortem of Logo strip" in html
