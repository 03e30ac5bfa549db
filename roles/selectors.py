"""Reads of the roles app, scoped to what the asking ``user`` may see."""

from django.db.models import QuerySet

from .capabilities import can
from .models import Partner


def partner_list_for_user(*, user) -> QuerySet[Partner]:
    """The partners ``user`` may read: all of them for the CMO, a partner's people their own."""
    partners = Partner.objects.prefetch_related("users").order_by("name", "id")
    # The schema's generator asks as nobody: it gets the unscoped query it describes.
    if user.is_authenticated and not can(user, "experiments.all_partners"):
        return partners.filter(pk=user.partner_id)
    return partners
