from io import StringIO

import pytest
from django.core.management import call_command

from experiments.models import (
    Experiment,
    ExperimentStatus,
    Hypothesis,
    Metric,
    Objective,
    Segment,
    SegmentEconomics,
    StatusChange,
)
from roles.capabilities import abilities_of
from roles.models import User

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            Objective,
            Segment,
            SegmentEconomics,
            Metric,
            Hypothesis,
            Experiment,
            StatusChange,
        )
    }


def test_it_builds_the_demo_organisation_once(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = _counts()

    assert set(User.objects.values_list("username", flat=True)) == {
        "cmo",
        "operator",
        "operator2",
        "marketer",
        "analyst",
        "admin",
    }
    assert first["Objective"] == 3 and first["Metric"] == 6
    assert first["Segment"] >= 8 and first["Hypothesis"] >= 40 and first["Experiment"] == 15
    assert set(Experiment.objects.values_list("status", flat=True)) == set(ExperimentStatus.values)
    # Three levels of segments.
    assert Segment.objects.filter(parent__parent__isnull=False).exists()
    # Every experiment past draft has the audit trail the lifecycle wrote.
    for experiment in Experiment.objects.exclude(status="draft"):
        assert experiment.status_changes.last().to_status == experiment.status
    assert "Demo logins: cmo, operator, operator2, marketer, analyst, admin" in out.getvalue()

    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert _counts() == first
    assert "already present" in again.getvalue()


def test_large_adds_five_thousand_experiments_once():
    call_command("seed_demo", "--large", stdout=StringIO())
    assert Experiment.objects.filter(key__startswith="bench-").count() == 5000
    call_command("seed_demo", "--large", stdout=StringIO())
    assert Experiment.objects.count() == 5015


def test_the_demo_cmo_is_not_a_superuser_and_the_admin_account_holds_no_role(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    cmo, admin = User.objects.get(username="cmo"), User.objects.get(username="admin")
    assert not (cmo.is_staff or cmo.is_superuser)
    assert admin.is_staff and admin.is_superuser
    assert admin.role == ""
    assert abilities_of(admin) == set()
    assert set(User.objects.values_list("is_demo", flat=True)) == {True}
