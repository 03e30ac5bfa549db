"""The profile page: who I am, my API token (see it exists, (re)generate it, revoke it), and my
named service tokens (create one, see its secret once, revoke it)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from growthops.errors import ValidationFailed

from .forms import ServiceTokenForm
from .models import ServiceToken
from .permissions import require_ability
from .services import (
    api_token_regenerate,
    api_token_revoke,
    service_token_create,
    service_token_revoke,
)


def _render(request, *, new_key: str | None = None, form=None, new_secret=None, status=200):
    return render(
        request,
        "roles/profile.html",
        {
            "token": Token.objects.filter(user=request.user).first(),
            "new_key": new_key,
            "service_tokens": ServiceToken.objects.filter(
                user=request.user, revoked_at__isnull=True
            ),
            "service_token_form": form or ServiceTokenForm(),
            "new_secret": new_secret,
        },
        status=status,
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


@login_required
@never_cache
@require_POST
def service_token_new(request):
    require_ability(request, "tokens.manage")
    form = ServiceTokenForm(request.POST)
    if form.is_valid():
        try:
            token, secret = service_token_create(actor=request.user, **form.cleaned_data)
        except ValidationFailed as failure:
            for field, problems in failure.errors.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            # The secret is shown on this response only; the row keeps its hash.
            return _render(request, new_secret={"token": token, "secret": secret})
    return _render(request, form=form, status=400)


@login_required
@require_POST
def service_token_remove(request, pk: int):
    require_ability(request, "tokens.manage")
    token = get_object_or_404(ServiceToken, pk=pk, user=request.user)
    service_token_revoke(actor=request.user, token_id=token.pk)
    messages.success(
        request, f"The token “{token.name}” is revoked; programs using it are refused now."
    )
    return redirect("roles:profile")
