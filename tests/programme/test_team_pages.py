"""The team page's writes (teams, operators' profiles) and a segment page's economics upload:
who sees the controls, what a save writes, and that a refusal writes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from experiments.models import SegmentEconomics
from roles.models import AuditEntry, OperatorProfile, Team
from tests.factories import ExperimentFactory, SegmentFactory, TeamFactory

pytestmark = pytest.mark.django_db

CSV = (
    "period_start,period_end,customers_acquired,customer_value,acquisition_cost\n"
    "2026-10-01,2026-10-31,40,12000.50,4000\n"
)


def test_the_cmo_sees_the_team_controls_and_others_do_not(client, cmo, operator):
    team = TeamFactory()
    OperatorProfile.objects.create(user=operator, capacity=1)
    ExperimentFactory(owner=operator)
    ExperimentFactory(owner=operator)
    client.force_login(cmo)
    html = client.get("/team/").content.decode()
    assert 'href="/team/teams/new/"' in html
    assert f'href="/team/teams/{team.pk}/"' in html
    assert "over capacity" in html  # 2 of 1
    client.force_login(operator)
    html = client.get("/team/").content.decode()
    assert "/team/teams/new/" not in html
    assert "/team/operators/" not in html


def test_the_cmo_creates_a_team_on_the_page(client, cmo, operator):
    segment = SegmentFactory()
    client.force_login(cmo)
    response = client.post(
        "/team/teams/new/",
        {"name": "Activation", "members": [operator.pk], "segments": [segment.pk]},
    )
    assert response.status_code == 302
    team = Team.objects.get(name="Activation")
    assert list(team.members.all()) == [operator]
    segment.refresh_from_db()
    assert segment.owner_team == team
    assert AuditEntry.objects.get().subject == "team"


def test_a_refused_team_edit_comes_back_beside_the_field(client, cmo):
    segment = SegmentFactory(name="SMB")
    team = segment.owner_team
    client.force_login(cmo)
    response = client.post(f"/team/teams/{team.pk}/", {"name": "Renamed"})
    assert response.status_code == 200
    assert "SMB would have no team" in response.content.decode()
    team.refresh_from_db()
    assert team.name != "Renamed"
    assert not AuditEntry.objects.exists()


def test_the_cmo_adds_and_edits_an_operators_profile(client, cmo, operator):
    client.force_login(cmo)
    response = client.post(
        "/team/operators/new/",
        {"user": operator.pk, "channels": ["seo", "email"], "specialities": "pricing, onboarding",
         "capacity": 2},
    )  # fmt: skip
    assert response.status_code == 302
    profile = OperatorProfile.objects.get(user=operator)
    assert (profile.channels, profile.specialities, profile.capacity) == (
        ["seo", "email"], ["pricing", "onboarding"], 2
    )  # fmt: skip
    edit = client.post(
        f"/team/operators/{profile.pk}/", {"channels": ["web"], "specialities": "", "capacity": 5}
    )
    assert edit.status_code == 302
    profile.refresh_from_db()
    assert (profile.channels, profile.specialities, profile.capacity) == (["web"], [], 5)
    assert AuditEntry.objects.filter(subject="operator").count() == 2


@pytest.mark.parametrize("url", ["/team/teams/new/", "/team/operators/new/"])
def test_a_forced_post_by_an_operator_is_refused(client, operator, url):
    client.force_login(operator)
    response = client.post(url, {"name": "Mine", "user": operator.pk, "capacity": 9})
    assert response.status_code == 403
    assert not Team.objects.filter(name="Mine").exists()
    assert not OperatorProfile.objects.exists()


def upload(client, segment, text=CSV):
    return client.post(
        f"/segments/{segment.pk}/economics/",
        {"file": SimpleUploadedFile("economics.csv", text.encode(), content_type="text/csv")},
        follow=True,
    )


def test_an_analyst_uploads_economics_on_the_segment_page(client, analyst):
    segment = SegmentFactory()
    client.force_login(analyst)
    assert 'id="economics-upload"' in client.get(f"/segments/{segment.pk}/").content.decode()
    html = upload(client, segment).content.decode()
    assert "Saved 1 period." in html
    assert SegmentEconomics.objects.get(segment=segment).customers_acquired == 40


def test_a_bad_file_names_row_and_column_and_saves_nothing(client, analyst):
    segment = SegmentFactory()
    client.force_login(analyst)
    html = upload(client, segment, CSV.replace(",40,", ",forty,")).content.decode()
    assert "1 problem(s) in the batch; nothing was saved." in html
    assert "row 1: customers_acquired: “forty” is not a whole number" in html
    assert not SegmentEconomics.objects.exists()


def test_the_team_sees_the_form_and_an_outsider_neither_sees_nor_may_post(
    client, operator, operator2
):
    segment = SegmentFactory()
    segment.owner_team.members.add(operator)
    client.force_login(operator)
    assert 'id="economics-upload"' in client.get(f"/segments/{segment.pk}/").content.decode()
    client.force_login(operator2)
    assert 'id="economics-upload"' not in client.get(f"/segments/{segment.pk}/").content.decode()
    html = upload(client, segment).content.decode()
    assert "Only members of" in html
    assert not SegmentEconomics.objects.exists()


def test_launching_a_sub_segment_shows_its_traffic_team_and_the_parents_economics(
    client, cmo, analyst
):
    from analytics.ingest.economics import economics_ingest

    parent = SegmentFactory(name="SMB", monthly_reach=300_000)
    economics_ingest(
        segment_id=parent.pk,
        actor=analyst,
        rows=[{"period_start": "2026-10-01", "period_end": "2026-10-31",
               "customers_acquired": 40, "customer_value": 12000, "acquisition_cost": 4000}],
    )  # fmt: skip
    client.force_login(cmo)
    assert f"?parent={parent.pk}" in client.get(f"/segments/{parent.pk}/").content.decode()

    html = client.get(f"/segments/?parent={parent.pk}").content.decode()

    assert "Launch a sub-segment of “SMB”" in html
    assert "300,000 people a month, about 10,000 a day" in html
    assert f"Owner: {parent.owner_team} unless you choose another team." in html
    assert "Oct 2026: 40 customers, CAC €100, value / cost 3.00×" in html
    assert f'<option value="{parent.pk}" selected>' in html
