"""Shared read-outs in the browser: the public page a link opens, and the experiment page's panel
where the CMO or the owner creates and revokes links."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from analytics.results import experiment_results_panel
from experiments.selectors import experiment_list_for_user, experiment_metrics
from growthops.client_ip import client_ip
from growthops.errors import DomainError, NotPermitted
from roles.capabilities import can
from roles.permissions import require_ability

from .models import ReadoutShare
from .shares import readout_open, readout_share_create, readout_share_revoke, share_token, shares_of


@never_cache
def readout(request, token: str):
    """The read-out a link opens: no account, no navigation, nothing but this experiment."""
    try:
        share = readout_open(
            token=token,
            address=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except NotPermitted as exc:
        return render(request, "programme/readout_closed.html", {"reason": exc.message}, status=404)
    experiment = share.experiment
    context = {
        **experiment_results_panel(experiment, user=AnonymousUser()),
        "share": share,
        "metrics": experiment_metrics(experiment),
        "variants": list(experiment.variants.all()),
        "timeline": experiment.status_changes.all(),
    }
    response = render(request, "programme/readout.html", context)
    # The page is for the people the link was given to, not for search engines or referrers.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
def experiment_shares(request, pk: int):
    """The experiment page's panel of links (loaded with htmx; a page of its own without it)."""
    experiment = get_object_or_404(experiment_list_for_user(user=request.user), pk=pk)
    require_ability(request, "experiments.share", experiment)
    created = None
    if request.method == "POST":
        try:
            created = readout_share_create(experiment_id=experiment.pk, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        if not request.htmx:
            if created is not None:
                messages.success(request, f"Read-out link: {_link(request, created)}")
            return redirect("experiments:detail", pk=experiment.pk)
    return _panel(request, experiment, created=created)


@login_required
@require_POST
def share_revoke(request, pk: int):
    share = get_object_or_404(
        ReadoutShare.objects.filter(experiment__in=experiment_list_for_user(user=request.user)),
        pk=pk,
    )
    require_ability(request, "experiments.share", share.experiment)
    readout_share_revoke(share_id=share.pk, actor=request.user)
    if request.htmx:
        return _panel(request, share.experiment)
    messages.success(request, "The link is revoked: it no longer opens the read-out.")
    return redirect("experiments:detail", pk=share.experiment_id)


def _panel(request, experiment, *, created=None):
    now = timezone.now()
    shares = [(share, share.state_at(now)) for share in shares_of(experiment)]
    template = (
        "programme/_experiment_shares.html" if request.htmx else "programme/experiment_shares.html"
    )
    return render(
        request,
        template,
        {
            "experiment": experiment,
            "shares": shares,
            "created": created,
            "created_link": _link(request, created) if created else None,
            "can_share": can(request.user, "experiments.share", experiment),
        },
    )


def _link(request, share: ReadoutShare) -> str:
    return request.build_absolute_uri(reverse("programme:readout", args=[share_token(share)]))
