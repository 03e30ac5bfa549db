from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator
from django.db import models


class Role(models.TextChoices):
    CMO = "cmo", "CMO"
    OPERATOR = "operator", "Growth operator"
    MARKETER = "marketer", "Marketer"
    ANALYST = "analyst", "Analyst"


class Channel(models.TextChoices):
    SEO = "seo", "SEO"
    PAID = "paid", "Paid"
    CONTENT = "content", "Content"
    EMAIL = "email", "Email"
    SOCIAL = "social", "Social"
    LIFECYCLE = "lifecycle", "Lifecycle"
    WEB = "web", "Web"


class User(AbstractUser):
    # Blank for accounts that hold no ability, such as an administrator who only runs the admin.
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MARKETER, blank=True)
    is_demo = models.BooleanField(
        default=False,
        help_text="Seeded demo account: refused (password, token and session) when DEBUG is off.",
    )

    class Meta:
        ordering = ["username"]

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
