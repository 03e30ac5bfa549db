"""Agency partners' pages: the CMO's list and forms (``partners.manage``, through the audited
``roles.partners``) and a partner's scorecard, which the CMO and that partner's people read
(``partners.scorecard`` on the partner: another partner's is refused)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from experiments.forms import add_service_errors
from growthops.errors import ValidationFailed
from roles import partners
from roles.models import Partner
from roles.permissions import require_ability
from roles.selectors import partner_list_for_user

from .insights.history import ProgrammeHistory
from .insights.scorecard import partner_scorecard
from .partner_forms import PartnerForm, PartnerUserForm


@login_required
def partner_list(request):
    require_ability(request, "partners.manage")
    rows = Partner.objects.prefetch_related("users").order_by("name")
    fees = ProgrammeHistory(today=timezone.localdate()).partner_fees
    return render(
        request,
        "programme/partners/partner_list.html",
        {"partners": [(p, fees.get(p.pk)) for p in rows]},
    )


@login_required
def partner_form(request, pk: int | None = None):
    """A new partner, or the partner ``pk``'s edit."""
    require_ability(request, "partners.manage")
    partner = get_object_or_404(Partner, pk=pk) if pk is not None else None
    form = PartnerForm(request.POST or None, instance=partner)
    if request.method == "POST" and form.is_valid():
        fields = {f: form.cleaned_data[f] for f in partners.PARTNER_FIELDS}
        try:
            if partner is None:
                partner = partners.partner_create(actor=request.user, **fields)
            else:
                partners.partner_update(partner_id=partner.pk, actor=request.user, **fields)
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"{partner} saved.")
            return redirect("programme:partners")
    return render(
        request, "programme/partners/partner_form.html", {"form": form, "partner": partner}
    )


@login_required
def partner_user_form(request, pk: int):
    """A sign-in for one of the partner's people."""
    require_ability(request, "partners.manage")
    partner = get_object_or_404(Partner, pk=pk)
    form = PartnerUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = partners.partner_user_create(
                actor=request.user, partner=partner, **form.cleaned_data
            )
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"{user.username} may now sign in for {partner}.")
            return redirect("programme:partners")
    return render(
        request,
        "programme/partners/partner_user_form.html",
        {"form": form, "partner": partner},
    )


@login_required
def partner_scorecard_page(request, pk: int):
    require_ability(request, "partners.scorecard")
    # Another partner's scorecard is not found, as over the API: a refusal would name it.
    partner = get_object_or_404(partner_list_for_user(user=request.user), pk=pk)
    require_ability(request, "partners.scorecard", partner)
    history = ProgrammeHistory(today=timezone.localdate())
    return render(
        request,
        "programme/partners/scorecard.html",
        {"partner": partner, "card": partner_scorecard(history, partner.pk)},
    )
