"""Agency partners as records and their people: the CMO's audited writes, the partner role's
rules (its own partner's experiments, like an operator; never a review or a decision), fees."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from experiments.lifecycle import experiment_approve
from experiments.models import Experiment, Hypothesis
from experiments.services import hypothesis_triage
from programme.insights.partner_costs import contract_months, fee_to_date
from roles.models import AuditEntry, Partner, User
from roles.partners import partner_create, partner_update
from tests.analytics.helpers import START, binomial_rows
from tests.factories import (
    ExperimentFactory,
    HypothesisFactory,
    MetricFactory,
    ObjectiveFactory,
    PartnerFactory,
    SegmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def api_as(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_cmo_adds_and_edits_a_partner_on_the_audit_trail(cmo):
    api = api_as(cmo)
    created = api.post(
        "/api/v1/partners/",
        {"name": "Northwind", "contract_start": "2026-01-01", "monthly_fee": "5000.00",
         "fee_currency": "eur", "media_billing": "marked_up", "media_markup": "12.50",
         "contact_name": "Nora", "contact_email": "nora@northwind.example"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    partner = Partner.objects.get()
    assert (partner.fee_currency, partner.media_markup) == ("EUR", Decimal("12.50"))
    changed = api.patch(f"/api/v1/partners/{partner.pk}/", {"monthly_fee": "5500"}, format="json")
    assert changed.status_code == 200 and changed.json()["monthly_fee"] == "5500.00"
    entries = list(AuditEntry.objects.filter(subject="partner").order_by("id"))
    assert [e.action for e in entries] == ["created", "updated"]
    assert entries[0].actor == cmo and entries[0].changes["name"] == [None, "Northwind"]
    assert entries[1].changes == {"monthly_fee": ["5000.00", "5500.00"]}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"contract_start": "2026-05-01", "contract_end": "2026-04-01"}, "", "cannot end before"),
        ({"media_billing": "pass_through", "media_markup": "5"}, "", "marked-up media only"),
        ({"fee_currency": "EURO"}, "fee_currency", "no more than 3"),
        ({"fee_currency": "E1R"}, "fee_currency", "three-letter currency"),
        ({"monthly_fee": "-1"}, "monthly_fee", "greater than or equal to 0"),
        ({"colour": "red"}, "colour", "Not a field"),
    ],
)
def test_a_bad_partner_is_refused_and_nothing_written(cmo, body, field, message):
    response = api_as(cmo).post("/api/v1/partners/", {"name": "Acme", **body}, format="json")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Partner.objects.exists() and not AuditEntry.objects.exists()


def test_a_taken_name_is_refused(cmo):
    partner_create(actor=cmo, name="Acme")
    response = api_as(cmo).post("/api/v1/partners/", {"name": "Acme"}, format="json")
    assert response.status_code == 400 and "already exists" in response.content.decode()
    assert Partner.objects.count() == 1


def test_the_cmo_adds_a_partners_person_who_works_for_it_alone(cmo):
    partner = partner_create(actor=cmo, name="Acme")
    response = api_as(cmo).post(
        f"/api/v1/partners/{partner.pk}/users/",
        {"username": "acme_ann", "password": "a-long-Passphrase-42", "email": "ann@acme.example"},
        format="json",
    )
    assert response.status_code == 201, response.content
    ann = User.objects.get(username="acme_ann")
    assert (ann.role, ann.partner, ann.check_password("a-long-Passphrase-42")) == (
        "partner", partner, True,
    )  # fmt: skip
    entry = AuditEntry.objects.get(subject="user")
    assert entry.changes["partner"] == [None, "Acme"] and entry.actor == cmo
    weak = api_as(cmo).post(
        f"/api/v1/partners/{partner.pk}/users/",
        {"username": "bo", "password": "123"},
        format="json",
    )
    assert weak.status_code == 400 and "password" in weak.content.decode()
    assert not User.objects.filter(username="bo").exists()


def test_only_a_partner_user_names_a_partner():
    from django.db import IntegrityError, transaction

    with transaction.atomic(), pytest.raises(IntegrityError):
        UserFactory(username="x", role="operator", partner=PartnerFactory())
    with transaction.atomic(), pytest.raises(IntegrityError):
        User.objects.create(username="y", role="partner")


@pytest.fixture
def agency(cmo, operator):
    """Northwind's person with an idea of theirs triaged into the backlog."""
    northwind = PartnerFactory(name="Northwind")
    person = UserFactory(username="nw", role="partner", partner=northwind)
    metric = MetricFactory(key="signups", kind="binomial")
    idea = api_as(person).post(
        "/api/v1/hypotheses/",
        {"title": "Lookalikes", "observation": "o", "change": "c", "effect": "e",
         "metric": metric.key, "expected_mde": 0.1, "channel": "paid",
         "objective": ObjectiveFactory().pk, "segment": SegmentFactory().pk,
         "impact": 6, "confidence": 7, "ease": 5},
        format="json",
    )  # fmt: skip
    assert idea.status_code == 201, idea.content
    hypothesis = hypothesis_triage(
        hypothesis_id=idea.json()["id"], actor=operator, status=Hypothesis.Status.BACKLOG
    )
    return {"partner": northwind, "person": person, "idea": hypothesis}


def _design(api, idea, **extra):
    return api.post(
        "/api/v1/experiments/",
        {"hypothesis": idea.pk, "name": "Lookalikes", "key": "nw-lookalikes", "baseline": 0.1,
         "daily_traffic": 2000, "variants": [
             {"key": "control", "name": "Control", "is_control": True, "weight": 0.5},
             {"key": "b", "name": "B", "is_control": False, "weight": 0.5}], **extra},
        format="json",
    )  # fmt: skip


def test_a_partners_person_designs_runs_and_completes_but_never_decides(cmo, agency):
    api = api_as(agency["person"])
    created = _design(api, agency["idea"])
    assert created.status_code == 201, created.content
    experiment = Experiment.objects.get(key="nw-lookalikes")
    assert (experiment.executed_by, experiment.partner, experiment.owner) == (
        "agency", agency["partner"], agency["person"],
    )  # fmt: skip
    step = f"/api/v1/experiments/{experiment.pk}/steps"
    assert (
        api.post(f"{step}/submit/", {"expected_status": "draft"}, format="json").status_code == 200
    )
    refused = api.post(f"{step}/approve/", {"expected_status": "in_review"}, format="json")
    assert refused.status_code == 403 and "may approve or send back" in refused.content.decode()
    experiment_approve(experiment_id=experiment.pk, actor=cmo)
    started = api.post(f"{step}/start/", {"expected_status": "approved"}, format="json")
    assert started.status_code == 200, started.content
    Experiment.objects.filter(pk=experiment.pk).update(start_date=START)
    uploaded = api.post(
        f"/api/v1/experiments/{experiment.pk}/observations/", binomial_rows(), format="json"
    )
    assert uploaded.status_code == 201, uploaded.content
    killed = api.post(
        f"{step}/kill/",
        {"expected_status": "running", "reason": "other", "note": "x"},
        format="json",
    )
    assert killed.status_code == 403
    completed = api.post(
        f"{step}/complete/",
        {"expected_status": "running", "analysis": "B won.", "recommendation": "scale",
         "confirm_srm": True, "override_reason": "Flight ends."},
        format="json",
    )  # fmt: skip
    assert completed.status_code == 200, completed.content
    concluded = api.post(
        f"{step}/conclude/",
        {"expected_status": "completed", "decision": "scale", "outcome": "won", "learnings": "L",
         "override_reason": "x"},
        format="json",
    )  # fmt: skip
    assert concluded.status_code == 403
    assert Experiment.objects.get(pk=experiment.pk).status == "completed"


def test_a_partners_person_designs_for_their_partner_only(agency):
    other = PartnerFactory(name="Brightline")
    api = api_as(agency["person"])
    named = _design(api, agency["idea"], executed_by="agency", partner=other.pk)
    assert named.status_code == 400 and "You design for Northwind only" in named.content.decode()
    in_house = _design(api, agency["idea"], executed_by="in_house")
    assert in_house.status_code == 400 and "run by Northwind" in in_house.content.decode()
    not_theirs = HypothesisFactory(
        title="In-house idea", author=UserFactory(role="operator"), status="backlog"
    )
    refused = _design(api, not_theirs)
    assert refused.status_code == 400 and "Not a hypothesis you may see" in refused.content.decode()
    assert not Experiment.objects.exists()


def test_the_scorecard_is_the_cmos_and_the_partners_own(client, cmo, operator, agency):
    url = reverse("programme:partner-scorecard", args=[agency["partner"].pk])
    other = UserFactory(username="bl", role="partner", partner=PartnerFactory(name="Brightline"))
    for user, code in [(cmo, 200), (agency["person"], 200), (other, 404), (operator, 403)]:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == code, user
    # Another partner's people learn nothing of it, not even its name.
    client.force_login(other)
    assert "Northwind" not in client.get(url).content.decode()


def test_a_partners_person_finds_the_agencys_experiments_as_theirs_on_the_dashboard(client, agency):
    colleague = UserFactory(username="nw2", role="partner", partner=agency["partner"])
    ExperimentFactory(
        name="Lookalike audiences", owner=colleague, partner=agency["partner"], executed_by="agency"
    )
    ExperimentFactory(name="In-house test")
    client.force_login(agency["person"])

    response = client.get(reverse("programme:home"))

    assert response.context["mine_total"] == 1
    assert [e.name for e in response.context["mine"]] == ["Lookalike audiences"]
    assert "Your agency's experiments" in response.content.decode()


def test_a_partners_person_reads_their_notices_and_is_not_led_to_programme_pages(client, agency):
    client.force_login(agency["person"])
    home = client.get(reverse("programme:home")).content.decode()
    notices = client.get(reverse("programme:notices"))
    assert notices.status_code == 200
    assert "was accepted into the backlog" in notices.content.decode()  # their idea's triage
    assert 'id="notices-count" aria-label="1 unread"' in home
    # The objectives pages read the whole programme's roll-ups: no link to them.
    assert f'href="{reverse("programme:objectives")}"' not in home
    assert client.get(reverse("programme:objectives")).status_code == 403


def test_the_partner_pages_are_the_cmos(client, cmo, operator):
    client.force_login(operator)
    assert client.get(reverse("programme:partners")).status_code == 403
    client.force_login(cmo)
    response = client.post(
        reverse("programme:partner-new"),
        {"name": "Acme", "monthly_fee": "1000", "fee_currency": "EUR",
         "media_billing": "included", "contact_name": "", "contact_email": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    partner = Partner.objects.get(name="Acme")
    assert AuditEntry.objects.filter(subject="partner", subject_id=partner.pk).count() == 1
    bad = client.post(
        reverse("programme:partner-edit", args=[partner.pk]),
        {"name": "Acme", "monthly_fee": "1000", "fee_currency": "EUR", "media_billing": "included",
         "contract_start": "2026-05-01", "contract_end": "2026-01-01"},
    )  # fmt: skip
    assert bad.status_code == 200 and "cannot end before it starts" in bad.content.decode()
    assert Partner.objects.get(pk=partner.pk).contract_end is None
    person = client.post(
        reverse("programme:partner-user-new", args=[partner.pk]),
        {"username": "acme_a", "password": "a-long-Passphrase-42"},
    )
    assert person.status_code == 302
    assert User.objects.get(username="acme_a").partner == partner
    listed = client.get(reverse("programme:partners")).content.decode()
    assert "Acme" in listed and "acme_a" in listed


def test_fees_count_the_contracts_months_to_date_in_the_reporting_currency(settings, cmo):
    settings.REPORTING_CURRENCY = "EUR"
    today = dt.date(2026, 7, 1)
    assert contract_months(dt.date(2026, 1, 1), None, today=today) == pytest.approx(182 / 30.4375)
    assert contract_months(dt.date(2026, 1, 1), dt.date(2026, 1, 31), today=today) == pytest.approx(
        31 / 30.4375
    )
    assert contract_months(dt.date(2026, 8, 1), None, today=today) == 0
    assert contract_months(None, None, today=today) == 0
    partner = partner_create(
        actor=cmo, name="A", contract_start=dt.date(2026, 1, 1), contract_end=dt.date(2026, 1, 31),
        monthly_fee=Decimal("3043.75"),
    )  # fmt: skip
    assert fee_to_date(partner, today=today)["fees"] == pytest.approx(3100.0)
    partner_update(partner_id=partner.pk, actor=cmo, fee_currency="USD")
    partner.refresh_from_db()
    assert fee_to_date(partner, today=today) == {
        "months": 1.02, "fees": 0.0, "fee_currency_ignored": "USD",
    }  # fmt: skip
