"""The profile page: who I am, and my API token (see it exists, (re)generate it, revoke it)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from .services import api_token_regenerate, api_token_revoke


def _render(request, *, new_key: str | None = None):
    return render(
        request,
        "roles/profile.html",
        {
            "token": Token.objects.filter(user=request.user).first(),
            "new_key": new_key,
        },
    )


@login_required
@never_cache
def profile(request):
    return _render(request)


@login_required
@never_cache
@require_POST
def token_generate(request):
    # The key is shown on this response only: the page afterwards says a token exists.
    token = api_token_regenerate(actor=request.user)
    return _render(request, new_key=token.key)


@login_required
@require_POST
def token_revoke(request):
    if api_token_revoke(actor=request.user):
        messages.success(request, "Your API token is revoked; programs using it are refused now.")
    else:
        messages.info(request, "You had no API token.")
    return redirect("roles:profile")
