"""Reads of the roles app, scoped to what the asking ``user`` may see."""

from django.db.models import QuerySet

from .models import Partner, Role


def partner_list_for_user(*, user) -> QuerySet[Partner]:
    """The partners ``user`` may read: all of them for the CMO, a partner's people their own."""
    partners = Partner.objects.prefetch_related("users").order_by("name", "id")
    if getattr(user, "role", None) == Role.PARTNER:  # the schema's generator asks as nobody
        return partners.filter(pk=user.partner_id)
    return partners
