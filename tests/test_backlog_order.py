"""The backlog shows new, untriaged ideas first, whatever the order, not on its last page."""

import pytest
from django.urls import reverse

from experiments.models import Hypothesis
from experiments.ranking import HYPOTHESIS_SORTS
from tests.factories import HypothesisFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowded_backlog(db):
    """30 triaged ideas scored high (more than one page), and two new ones scored low."""
    HypothesisFactory.create_batch(30, impact=9, confidence=9, ease=9)
    older = HypothesisFactory(title="Older new idea", status="new", impact=1, confidence=1, ease=1)
    newer = HypothesisFactory(title="Newer new idea", status="new", impact=1, confidence=1, ease=1)
    Hypothesis.objects.filter(pk=older.pk).update(created_at=newer.created_at.replace(year=2025))
    return older, newer


@pytest.mark.parametrize("sort", sorted(HYPOTHESIS_SORTS))
def test_new_ideas_lead_the_first_page_in_every_order(client, marketer, crowded_backlog, sort):
    client.force_login(marketer)
    response = client.get(reverse("experiments:hypothesis-list"), {"sort": sort})
    titles = [h.title for h in response.context["page_obj"]]
    assert titles[:2] == ["Newer new idea", "Older new idea"]
    assert all(h.status == "backlog" for h in response.context["page_obj"][2:])


def test_a_status_filter_still_applies(client, marketer, crowded_backlog):
    client.force_login(marketer)
    response = client.get(reverse("experiments:hypothesis-list"), {"status": "backlog"})
    assert "Newer new idea" not in [h.title for h in response.context["page_obj"]]
