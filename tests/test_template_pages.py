"""The template pages (experiments/template_views.py): who sees and who writes, creating and
editing with locked fields, and refusals that match the API's (the same services)."""

import pytest

from experiments import services
from experiments.models import ExperimentTemplate
from tests.factories import MetricFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def metrics():
    return {
        "opens": MetricFactory(key="opens", name="Opens"),
        "signups": MetricFactory(key="signups", name="Sign-ups"),
        "unsubscribes": MetricFactory(key="unsubscribes", name="Unsubscribes", direction="lower"),
    }


@pytest.fixture
def pricing(cmo, metrics):
    return services.template_create(
        actor=cmo,
        name="Pricing",
        kind="pricing",
        primary_metric=metrics["signups"],
        alpha=0.01,
        locked_fields=["alpha", "decision_rule"],
    )


def form_data(metrics, **changes):
    data = {
        "name": "E-mail subject line",
        "kind": "email_subject",
        "description": "Subject lines, judged on opens.",
        "primary_metric": metrics["opens"].pk,
        "guardrail_metrics": [metrics["unsubscribes"].pk],
        "method": "frequentist",
        "correction": "none",
        "alpha": "0.02",
        "power": "0.9",
        "mde": "0.05",
        "min_run_weeks": "2",
        "rule_guardrail_tolerance": "0.01",
        "rule_ship_chance": "0.95",
        "rule_max_expected_loss": "0.005",
        "rule_abandon_when_mde_ruled_out": "on",
        "rule_apply_false_win_level": "on",
        "locked_fields": ["alpha", "guardrail_metrics", "decision_rule"],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(
    ("role", "list_status", "write_status"),
    [
        ("cmo", 200, 200),
        ("operator", 200, 200),
        ("marketer", 200, 403),
        ("analyst", 200, 403),
    ],
)
def test_everyone_reads_the_list_and_the_cmo_and_operators_write(
    client, cast, pricing, role, list_status, write_status
):
    client.force_login(cast[role])
    listed = client.get("/templates/")
    assert listed.status_code == list_status
    html = listed.content.decode()
    assert "Pricing" in html and 'data-locked="alpha"' in html
    may = write_status == 200
    assert ('id="new-template"' in html) is may
    assert (f'href="/templates/{pricing.pk}/edit/"' in html) is may
    assert client.get("/templates/new/").status_code == write_status
    assert client.get(f"/templates/{pricing.pk}/edit/").status_code == write_status


def test_a_forced_write_by_a_marketer_is_refused_and_writes_nothing(client, marketer, metrics):
    client.force_login(marketer)
    assert client.post("/templates/new/", form_data(metrics)).status_code == 403
    assert not ExperimentTemplate.objects.exists()


def test_signed_out_it_asks_to_sign_in(client):
    assert client.get("/templates/").status_code == 302
    assert client.get("/templates/new/").status_code == 302


def test_an_operator_creates_a_template_with_locked_fields(client, operator, metrics):
    client.force_login(operator)
    response = client.post("/templates/new/", form_data(metrics))
    assert response.status_code == 302 and response["Location"] == "/templates/"
    template = ExperimentTemplate.objects.get()
    assert template.name == "E-mail subject line" and template.kind == "email_subject"
    assert template.created_by == operator
    assert template.primary_metric == metrics["opens"]
    assert list(template.guardrail_metrics.all()) == [metrics["unsubscribes"]]
    assert list(template.secondary_metrics.all()) == []
    assert (template.alpha, template.power, template.mde, template.min_run_weeks) == (
        0.02, 0.9, 0.05, 2,
    )  # fmt: skip
    assert template.locked_fields == ["alpha", "decision_rule", "guardrail_metrics"]
    assert template.decision_rule == {
        "guardrail_tolerance": 0.01,
        "guardrail_tolerances": {},
        "ship_chance": 0.95,
        "max_expected_loss": 0.005,
        "abandon_when_mde_ruled_out": True,
        "apply_false_win_level": True,
    }


def test_editing_shows_the_saved_template_and_changes_it(client, cmo, pricing, metrics):
    client.force_login(cmo)
    page = client.get(f"/templates/{pricing.pk}/edit/").content.decode()
    assert 'value="Pricing"' in page
    assert 'value="alpha" class="form-check-input" id="id_locked_fields_6" checked>' in page
    assert (
        'value="decision_rule" class="form-check-input" id="id_locked_fields_10" checked>' in page
    )
    assert 'value="power" class="form-check-input" id="id_locked_fields_7">' in page
    changed = form_data(metrics, name="Pricing", kind="pricing", locked_fields=["mde"])
    changed["primary_metric"] = metrics["signups"].pk
    response = client.post(f"/templates/{pricing.pk}/edit/", changed)
    assert response.status_code == 302
    pricing.refresh_from_db()
    assert pricing.locked_fields == ["mde"]
    assert pricing.alpha == 0.02 and pricing.primary_metric == metrics["signups"]
    assert ExperimentTemplate.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        # The same refusals as the API's (tests/experiments/test_templates.py), beside the field.
        ({"alpha": "0.7"}, "alpha", "Alpha must lie strictly between 0 and 0.5."),
        ({"min_run_weeks": "20"}, "min_run_weeks", "The minimum run time is at most 12 weeks."),
        ({"method": "sequential"}, "sequential_tau", "Sequential analysis needs τ."),
        ({"rule_ship_chance": "2"}, "rule_ship_chance", "Must lie in (0.5, 0.9999]."),
        ({"locked_fields": ["status"]}, "locked_fields", "Select a valid choice."),
        ({"alpha": "lots"}, "alpha", "Enter a number."),
    ],
)
def test_a_bad_template_is_refused_beside_its_field_and_nothing_is_written(
    client, cmo, metrics, changes, field, message
):
    client.force_login(cmo)
    response = client.post("/templates/new/", form_data(metrics, **changes))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert any(text.startswith(message) for text in errors[field]), errors
    assert not ExperimentTemplate.objects.exists()
    # What was typed stays.
    assert 'value="E-mail subject line"' in response.content.decode()


def test_a_duplicate_name_is_refused(client, cmo, pricing, metrics):
    client.force_login(cmo)
    response = client.post("/templates/new/", form_data(metrics, name="Pricing"))
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert ExperimentTemplate.objects.count() == 1


def test_the_list_costs_the_same_queries_for_1_or_5(client, cmo, pricing, metrics):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(cmo)
    with CaptureQueriesContext(connection) as one:
        client.get("/templates/")
    for n in range(4):
        services.template_create(
            actor=cmo, name=f"T{n}", kind="other", guardrail_metrics=[metrics["opens"]]
        )
    with CaptureQueriesContext(connection) as five:
        page = client.get("/templates/")
    assert page.content.decode().count("data-template=") == 5
    assert len(five) == len(one)
