from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator
from django.db import models


class Role(models.TextChoices):
    CMO = "cmo", "CMO"
    OPERATOR = "operator", "Growth operator"
    MARKETER = "marketer", "Marketer"
    ANALYST = "analyst", "Analyst"
    PARTNER = "partner", "Agency partner"


class Channel(models.TextChoices):
    SEO = "seo", "SEO"
    PAID = "paid", "Paid"
    CONTENT = "content", "Content"
    EMAIL = "email", "Email"
    SOCIAL = "social", "Social"
    LIFECYCLE = "lifecycle", "Lifecycle"
    WEB = "web", "Web"


def reporting_currency() -> str:
    return settings.REPORTING_CURRENCY


class Partner(models.Model):
    """An agency partner: its contract, what it costs a month and how its media is billed.

    Experiments name the partner that runs them (``Experiment.partner``); a user with the
    ``partner`` role belongs to one (``User.partner``) and sees only its experiments."""

    class MediaBilling(models.TextChoices):
        PASS_THROUGH = "pass_through", "Pass-through (at cost)"
        MARKED_UP = "marked_up", "Marked up (a percentage on media)"
        INCLUDED = "included", "Included in the fee"

    name = models.CharField(max_length=200, unique=True)
    contract_start = models.DateField(null=True, blank=True)
    contract_end = models.DateField(null=True, blank=True)
    monthly_fee = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    fee_currency = models.CharField(
        max_length=3,
        default=reporting_currency,
        help_text="ISO 4217 code; roll-ups add fees in the "
        "reporting currency (settings.REPORTING_CURRENCY) only.",
    )
    media_billing = models.CharField(
        max_length=16, choices=MediaBilling.choices, default=MediaBilling.PASS_THROUGH
    )
    media_markup = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True,
        help_text="Percent added to media when media is marked up.",
    )  # fmt: skip
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contract_end__isnull=True)
                | models.Q(contract_start__isnull=True)
                | models.Q(contract_end__gte=models.F("contract_start")),
                name="partner_contract_dates_in_order",
                violation_error_message="The contract cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=models.Q(monthly_fee__gte=0),
                name="partner_fee_not_negative",
                violation_error_message="The monthly fee cannot be negative.",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(media_billing="marked_up", media_markup__gte=0)
                    | (~models.Q(media_billing="marked_up") & models.Q(media_markup__isnull=True))
                ),
                name="partner_markup_with_marked_up_media",
                violation_error_message="A markup (0 %% or more) goes with marked-up media only.",
            ),
        ]

    def __str__(self):
        return self.name


class User(AbstractUser):
    # Blank for accounts that hold no ability, such as an administrator who only runs the admin.
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MARKETER, blank=True)
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text="The agency partner a user with the partner role works for (that role only).",
    )
    is_demo = models.BooleanField(
        default=False,
        help_text="Seeded demo account: refused (password, token and session) when DEBUG is off.",
    )

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(role="partner", partner__isnull=False)
                    | (~models.Q(role="partner") & models.Q(partner__isnull=True))
                ),
                name="user_partner_with_partner_role",
                violation_error_message="A partner user names their partner; no one else does.",
            )
        ]

    def __str__(self):
        return self.get_full_name() or self.username


class Team(models.Model):
    """A segment "tiger team": the people who own an audience segment."""

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(User, related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class OperatorProfile(models.Model):
    """The L of an L-shaped operator: broad across channels, deep in a few specialities."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="operator_profile")
    channels = models.JSONField(default=list, blank=True, help_text="Channels covered (breadth).")
    specialities = models.JSONField(
        default=list, blank=True, help_text="Deep skills, e.g. 'pricing tests'."
    )
    capacity = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1)], help_text="Experiments they may own at once."
    )

    def __str__(self):
        return f"{self.user} (operator)"

    def clean(self):
        from django.core.exceptions import ValidationError

        unknown = sorted(set(self.channels) - set(Channel.values))
        if unknown:
            raise ValidationError({"channels": f"unknown channel(s): {', '.join(unknown)}"})


class Scope(models.TextChoices):
    READ = "read", "Read (every GET)"
    UPLOAD = "upload", "Upload data (observations, events, measurements)"
    STEPS = "steps", "Lifecycle steps and the programme's other writes"
    ADMIN = "admin", "Webhooks (register, edit, read deliveries)"


class ServiceToken(models.Model):
    """A named API token for a program, with scopes and an expiry.

    Only ``prefix`` (public, to find the row) and ``digest`` (SHA-256 of the whole secret) are
    stored: the secret itself is shown once, when the token is created. Revoking keeps the row,
    so a program still using it is told it was revoked rather than that it never existed.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="service_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class AuditEntry(models.Model):
    """One change to the programme's set-up (a team, an operator's profile, a segment's
    economics): who made it, when, and the fields as they were and became."""

    class Subject(models.TextChoices):
        TEAM = "team", "Team"
        OPERATOR = "operator", "Operator profile"
        ECONOMICS = "economics", "Segment economics"
        PARTNER = "partner", "Agency partner"
        USER = "user", "User"

    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    subject = models.CharField(max_length=16, choices=Subject.choices)
    subject_id = models.PositiveIntegerField()
    action = models.CharField(max_length=16, help_text="created, updated or uploaded")
    changes = models.JSONField(default=dict, blank=True, help_text="field → [before, after]")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject", "subject_id"], name="audit_subject")]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.get_subject_display()} {self.subject_id} {self.action}"
