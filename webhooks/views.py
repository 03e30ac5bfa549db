"""The CMO's webhooks page: register and edit endpoints, rotate a secret, read deliveries.

Every view asks for ``webhooks.manage`` (others get the 403 page); every write goes through
``webhooks.services``, whose refusals appear on the form. A new or rotated secret is shown on
the response that made it only.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from experiments.forms import add_service_errors
from experiments.web import paginate
from growthops.errors import ValidationFailed
from roles.permissions import require_ability

from . import services
from .forms import EndpointForm
from .models import WebhookEvent
from .selectors import delivery_list, endpoint_list, endpoint_list_with_last_delivery

ABILITY = "webhooks.manage"
EVENT_LABELS = dict(WebhookEvent.choices)


@login_required
def endpoint_list_page(request):
    require_ability(request, ABILITY)
    return render(
        request,
        "webhooks/endpoint_list.html",
        {"page_obj": paginate(request, endpoint_list_with_last_delivery(user=request.user))},
    )


@login_required
@never_cache
def endpoint_create_page(request):
    require_ability(request, ABILITY)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(actor=request.user, **form.service_kwargs())
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, "Endpoint registered. It receives the events you chose.")
            return _detail(request, endpoint, new_secret=endpoint.secret)
    return render(request, "webhooks/endpoint_form.html", {"form": form})


@login_required
@never_cache
def endpoint_detail_page(request, pk):
    require_ability(request, ABILITY)
    endpoint = get_object_or_404(endpoint_list(user=request.user), pk=pk)
    form = None
    if request.method == "POST":
        form = EndpointForm(request.POST)
        if form.is_valid():
            # Only what changed: an unchanged URL is not looked up again.
            changes = {
                name: value
                for name, value in form.service_kwargs().items()
                if getattr(endpoint, name) != value
            }
            try:
                services.endpoint_update(endpoint_id=endpoint.pk, actor=request.user, **changes)
            except ValidationFailed as exc:
                add_service_errors(form, exc.errors)
            else:
                messages.success(request, "Endpoint saved.")
                return redirect("webhooks:detail", pk=endpoint.pk)
    return _detail(request, endpoint, form=form)


def _detail(request, endpoint, *, form=None, new_secret=None):
    if form is None:
        form = EndpointForm(
            initial={
                "url": endpoint.url,
                "events": endpoint.events,
                "description": endpoint.description,
                "active": endpoint.active,
            }
        )
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "event_labels": [EVENT_LABELS.get(e, e) for e in endpoint.events],
            "form": form,
            "new_secret": new_secret,
            "page_obj": paginate(request, delivery_list(endpoint=endpoint)),
        },
    )


@login_required
@never_cache
@require_POST
def endpoint_rotate_secret_page(request, pk):
    require_ability(request, ABILITY)
    endpoint = get_object_or_404(endpoint_list(user=request.user), pk=pk)
    endpoint = services.endpoint_rotate_secret(endpoint_id=endpoint.pk, actor=request.user)
    messages.success(request, "New signing secret made; the old one no longer signs deliveries.")
    return _detail(request, endpoint, new_secret=endpoint.secret)


@login_required
@require_POST
def endpoint_toggle_active_page(request, pk):
    require_ability(request, ABILITY)
    endpoint = get_object_or_404(endpoint_list(user=request.user), pk=pk)
    endpoint = services.endpoint_update(
        endpoint_id=endpoint.pk, actor=request.user, active=not endpoint.active
    )
    if endpoint.active:
        messages.success(request, "Endpoint enabled: it receives its events again.")
    else:
        messages.success(request, "Endpoint disabled: it receives nothing until enabled.")
    return redirect("webhooks:detail", pk=endpoint.pk)


@login_required
@require_POST
def endpoint_test_page(request, pk):
    require_ability(request, ABILITY)
    endpoint = get_object_or_404(endpoint_list(user=request.user), pk=pk)
    services.endpoint_ping(endpoint_id=endpoint.pk, actor=request.user)
    messages.info(request, "A test delivery (ping) is queued; it shows below once tried.")
    return redirect("webhooks:detail", pk=endpoint.pk)
