"""Each person's digest preference: how often (weekly, daily, off) and which Slack webhook."""

from django.conf import settings
from django.db import transaction

from growthops.errors import ValidationFailed

from ..models import DigestFrequency, DigestPreference

# How a Slack message goes out: handed over by the webhooks app (``webhooks/apps.py``), which
# posts only to checked public addresses; the programme may not import it.
OUTBOUND: dict = {}


def register_outbound(*, post, url_problem) -> None:
    """``post(url, body, headers) -> (status, excerpt)`` and ``url_problem(url) -> str | None``."""
    OUTBOUND.update(post=post, url_problem=url_problem)


def slack_url_problem(url: str) -> str | None:
    """Why a Slack webhook URL may not be used, or None."""
    if not url.startswith("https://"):
        return "A Slack webhook URL starts with https://."
    check = OUTBOUND.get("url_problem")
    return check(url) if check else "Slack messages cannot be sent from here."


def preference_of(*, user) -> DigestPreference:
    """The user's preference; an unsaved weekly one if they never chose."""
    found = DigestPreference.objects.filter(user=user).first()
    return found or DigestPreference(user=user)


def slack_url_for(preference: DigestPreference) -> str:
    return preference.slack_webhook_url or settings.DIGEST_SLACK_WEBHOOK_URL


@transaction.atomic
def digest_preference_update(
    *, user, frequency: str | None = None, slack_webhook_url: str | None = None
) -> DigestPreference:
    """Change what was given; a bad value changes nothing and says why."""
    errors = {}
    if frequency is not None and frequency not in DigestFrequency.values:
        choices = ", ".join(DigestFrequency.values)
        errors["frequency"] = [f"How often is one of {choices}."]
    if slack_webhook_url:
        problem = slack_url_problem(slack_webhook_url)
        if problem:
            errors["slack_webhook_url"] = [problem]
    if errors:
        raise ValidationFailed(errors)
    # Locked so that two saves at once write one row.
    preference, _ = DigestPreference.objects.select_for_update().get_or_create(user=user)
    if frequency is not None:
        preference.frequency = frequency
    if slack_webhook_url is not None:
        preference.slack_webhook_url = slack_webhook_url
    preference.save()
    return preference
