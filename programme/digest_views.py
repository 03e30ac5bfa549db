"""The profile page's digest panel (loaded with htmx; roles sits below the programme): how often
the digest comes, and the Slack webhook it also goes to."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from growthops.errors import ValidationFailed

from .digests.preferences import digest_preference_update, preference_of
from .models import DigestFrequency


@login_required
@never_cache
def digest_preference(request):
    errors, saved = {}, False
    preference = preference_of(user=request.user)
    if request.method == "POST":
        try:
            preference = digest_preference_update(
                user=request.user,
                frequency=request.POST.get("frequency", ""),
                slack_webhook_url=request.POST.get("slack_webhook_url", "").strip(),
            )
            saved = True
        except ValidationFailed as exc:
            errors = exc.errors
            preference.frequency = request.POST.get("frequency", preference.frequency)
            preference.slack_webhook_url = request.POST.get("slack_webhook_url", "")
    template = (
        "programme/_digest_preference.html" if request.htmx else "programme/digest_preference.html"
    )
    context = {
        "preference": preference,
        "frequencies": DigestFrequency.choices,
        "errors": errors,
        "saved": saved,
    }
    return render(request, template, context, status=400 if errors else 200)
