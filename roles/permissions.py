"""The DRF permission class and the view helper, both reading the capability table."""

from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from .capabilities import can, refusal
from .models import ServiceToken
from .tokens import scope_needed


class HasAbility(BasePermission):
    """Checks ``view.required_abilities[method]`` (or ``view.required_ability``).

    ``required_abilities`` maps an action or an HTTP method (or ``"*"``) to an ability.
    ``HEAD`` and ``OPTIONS`` read what ``GET`` reads (the headers, the description), so they
    need ``GET``'s ability. Object checks use the same ability with the object, so ownership
    rules apply. A view that names no ability is refused to everyone: being signed in is not
    an ability. A method the view does not take is let through to its 405 (with ``Allow``),
    whatever the signed-in caller's role, as the schema promises for every path.

    A request signed with a service token must also hold the scope the ability needs
    (:func:`roles.tokens.scope_needed`; a view may name the scope of a write action in
    ``required_scopes``): the token never does more than its scopes and its owner's role allow.
    """

    message = "You may not do this."

    def _ability(self, request, view) -> str | None:
        per_method = getattr(view, "required_abilities", None) or {}
        action, method = getattr(view, "action", None), request.method
        if method in ("HEAD", "OPTIONS"):
            # OPTIONS runs DRF's "metadata" action: ask what GET on this route would.
            action_map = getattr(view, "action_map", None) or {}
            action, method = action_map.get("get", action), "GET"
        return (
            per_method.get(action)
            or per_method.get(method)
            or per_method.get("*")
            or getattr(view, "required_ability", None)
        )

    def _scope_refusal(self, request, view, ability: str) -> str | None:
        token = request.auth
        if not isinstance(token, ServiceToken):
            return None
        override = (getattr(view, "required_scopes", None) or {}).get(getattr(view, "action", None))
        scope = scope_needed(ability, request.method, override)
        if scope is None:
            return "A service token may not do this; sign in, or use your personal token."
        if scope not in token.scopes:
            return f"This token lacks the '{scope}' scope."
        return None

    def has_permission(self, request, view):
        if request.user.is_authenticated and not _takes(view, request.method):
            return True  # nothing to guard: the view answers 405 with ``Allow``
        ability = self._ability(request, view)
        if ability is None:
            self.message = "This view names no ability, so it is open to no one."
            return False
        scope_refusal = self._scope_refusal(request, view, ability)
        if scope_refusal:
            self.message = scope_refusal
            return False
        self.message = refusal(request.user, ability) or self.message
        return can(request.user, ability)

    def has_object_permission(self, request, view, obj):
        ability = self._ability(request, view)
        if ability is None:
            return False
        reason = refusal(request.user, ability, obj)
        if reason:
            self.message = reason
        return reason is None


def _takes(view, method: str) -> bool:
    """Whether ``view`` has a handler for ``method`` (a viewset: the route maps it)."""
    name = method.lower()
    return name in view.http_method_names and hasattr(view, name)


def require_ability(request, ability: str, obj=None) -> None:
    """For HTML views: raise Django's PermissionDenied (a 403 page) with the reason."""
    reason = refusal(request.user, ability, obj)
    if reason is not None:
        raise PermissionDenied(reason)
