"""Templates (protocols) a design starts from, and the fields they may lock."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

# The pure statistics engine (numpy and scipy only), not the analytics app: allowed from here.
from analytics.stats.decision_rule import DecisionRule

from .choices import AnalysisMethod, Correction
from .constraints import FieldCheckConstraint
from .metrics import Metric


def default_decision_rule() -> dict:
    """The rule a design starts with (``analytics.stats.decision_rule.DecisionRule``'s defaults)."""
    return DecisionRule().as_dict()


# The template fields a design copies, and which a template may lock (docs/decisions.md).
LOCKABLE_FIELDS = (
    "primary_metric",
    "secondary_metrics",
    "guardrail_metrics",
    "method",
    "correction",
    "sequential_tau",
    "alpha",
    "power",
    "mde",
    "min_run_weeks",
    "decision_rule",
)


class ExperimentTemplate(models.Model):
    """A protocol for one kind of test: its metrics, method, level, power, minimum run time,
    default MDE and decision rule. A design made from it copies these; the ones listed in
    ``locked_fields`` cannot be changed in that design."""

    class Kind(models.TextChoices):
        EMAIL_SUBJECT = "email_subject", "E-mail subject line"
        LANDING_PAGE = "landing_page", "Landing page"
        PAID_CREATIVE = "paid_creative", "Paid creative"
        PRICING = "pricing", "Pricing"
        ONBOARDING = "onboarding", "Onboarding"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    description = models.TextField(blank=True)
    primary_metric = models.ForeignKey(
        Metric, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    secondary_metrics = models.ManyToManyField(Metric, blank=True, related_name="+")
    guardrail_metrics = models.ManyToManyField(Metric, blank=True, related_name="+")
    method = models.CharField(
        max_length=16, choices=AnalysisMethod.choices, default=AnalysisMethod.FREQUENTIST
    )
    correction = models.CharField(
        max_length=24, choices=Correction.choices, default=Correction.NONE
    )
    sequential_tau = models.FloatField("sequential τ", null=True, blank=True)
    alpha = models.FloatField(default=0.05)
    power = models.FloatField(default=0.8)
    mde = models.FloatField("default MDE", null=True, blank=True)
    min_run_weeks = models.PositiveSmallIntegerField(
        default=1, help_text="Full weeks a test runs at least, whatever its sample."
    )
    decision_rule = models.JSONField(default=default_decision_rule)
    locked_fields = models.JSONField(
        default=list, blank=True, help_text="The fields a design made from it cannot change."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            FieldCheckConstraint(
                condition=Q(alpha__gt=0) & Q(alpha__lt=0.5),
                name="template_alpha_range",
                field="alpha",
                violation_error_message="Alpha must lie strictly between 0 and 0.5.",
            ),
            FieldCheckConstraint(
                condition=Q(power__gt=0.5) & Q(power__lt=1),
                name="template_power_range",
                field="power",
                violation_error_message="Power must lie strictly between 0.5 and 1.",
            ),
            FieldCheckConstraint(
                condition=Q(mde__isnull=True) | Q(mde__gt=0),
                name="template_mde_positive",
                field="mde",
                violation_error_message="The MDE must be greater than 0.",
            ),
            FieldCheckConstraint(
                condition=Q(min_run_weeks__lte=12),
                name="template_min_run_weeks_range",
                field="min_run_weeks",
                violation_error_message="The minimum run time is at most 12 weeks.",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.method == AnalysisMethod.SEQUENTIAL and self.sequential_tau is None:
            raise ValidationError({"sequential_tau": "Sequential analysis needs τ."})
