"""The CMO's writes on the team page (teams and operators' profiles) and a segment's economics
upload on its page. Writes go through ``experiments.teams`` and ``analytics.ingest.economics``;
a refusal comes back beside the field (forms) or as messages (the upload)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as FileRefused
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from analytics.ingest.economics import economics_ingest, economics_parse_csv
from experiments import teams
from experiments.forms import add_service_errors
from experiments.selectors import segment_list_for_user
from growthops.errors import DomainError, ValidationFailed
from roles.models import OperatorProfile, Team
from roles.permissions import require_ability

from .forms import EconomicsUploadForm, OperatorProfileForm, TeamForm


@login_required
def team_form(request, pk: int | None = None):
    """A new team, or the team ``pk``'s edit."""
    require_ability(request, "teams.manage")
    team = get_object_or_404(Team, pk=pk) if pk is not None else None
    initial = (
        {"name": team.name, "members": team.members.all(), "segments": team.segments.all()}
        if team
        else None
    )
    form = TeamForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = form.cleaned_data
        try:
            if team is None:
                team = teams.team_create(actor=request.user, **fields)
            else:
                teams.team_update(team_id=team.pk, actor=request.user, **fields)
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"Team “{fields['name']}” saved.")
            return redirect("programme:team")
    return render(
        request, "programme/strategy/team_form.html", {"form": form, "team": team, "kind": "team"}
    )


@login_required
def operator_form(request, pk: int | None = None):
    """A new operator's profile, or the profile ``pk``'s edit."""
    require_ability(request, "teams.manage")
    profile = (
        get_object_or_404(OperatorProfile.objects.select_related("user"), pk=pk) if pk else None
    )
    form = OperatorProfileForm(request.POST or None, profile=profile)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        try:
            if profile is None:
                profile = teams.operator_profile_create(actor=request.user, **fields)
            else:
                teams.operator_profile_update(profile_id=profile.pk, actor=request.user, **fields)
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"{profile.user}'s profile saved.")
            return redirect("programme:team")
    return render(
        request,
        "programme/strategy/team_form.html",
        {"form": form, "profile": profile, "kind": "operator"},
    )


@login_required
@require_POST
def segment_economics_upload(request, pk: int):
    """A CSV of periods; one bad row refuses the file, its problems listed as messages."""
    require_ability(request, "segments.economics")  # the team is checked by the service
    segment = get_object_or_404(segment_list_for_user(user=request.user), pk=pk)
    form = EconomicsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for problems in form.errors.values():
            messages.error(request, f"CSV file: {' '.join(problems)}")
        return redirect("programme:segment", pk=segment.pk)
    try:
        rows = economics_parse_csv(form.text())
        written = economics_ingest(segment_id=segment.pk, actor=request.user, rows=rows)
    except DomainError as exc:
        messages.error(request, exc.message)
        for where, problems in list(getattr(exc, "errors", {}).items())[:50]:
            messages.error(request, f"{where}: {'; '.join(problems)}")
    except FileRefused as exc:  # too large, not UTF-8
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Saved {written} period{'s' * (written != 1)}.")
    return redirect("programme:segment", pk=segment.pk)
