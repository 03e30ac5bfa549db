"""What is measured outside experiments: an objective's KPI, and programme holdouts."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from experiments.models import (
    FieldCheckConstraint,
    Objective,
    Segment,
)


class ObjectiveMeasurement(models.Model):
    """The objective's KPI as measured on one day, in the objective's unit. Unique per objective
    and day: an upload that sends a day again replaces its value (``programme.measurements``)."""

    class Source(models.TextChoices):
        UPLOAD = "upload", "Upload"
        FORM = "form", "Form"
        DEMO = "demo", "Demo"

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="measurements")
    date = models.DateField()
    value = models.DecimalField(max_digits=16, decimal_places=2)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.UPLOAD)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["objective", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["objective", "date"],
                name="objective_measurement_one_per_day",
                violation_error_message="This objective already has a value for that day.",
            )
        ]

    def __str__(self):
        return f"{self.objective_id} {self.date}: {self.value}"


class Holdout(models.Model):
    """A share of a segment's users kept away from every change shipped into it from
    ``started_on``: comparing them with the exposed users measures what the shipped changes
    did together (``programme.holdouts``)."""

    class Kind(models.TextChoices):
        CONVERSION = "conversion", "Conversions (users and conversions per day)"
        VALUE = "value", "Value per user (users, sum and sum of squares per day)"

    name = models.CharField(max_length=200)
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="holdouts")
    share = models.FloatField(help_text="The share of the segment's users kept away (0 to 1).")
    started_on = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CONVERSION)
    objective = models.ForeignKey(
        Objective, null=True, blank=True, on_delete=models.SET_NULL, related_name="holdouts"
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_on", "name", "pk"]
        constraints = [
            FieldCheckConstraint(
                condition=models.Q(share__gt=0) & models.Q(share__lt=1),
                name="holdout_share_between_0_and_1",
                field="share",
                violation_error_message="The share kept away must be above 0 and below 1.",
            )
        ]

    def __str__(self):
        return self.name


class HoldoutObservation(models.Model):
    """One day of one group of a holdout: users and conversions, or users, sum and sum of squares
    of the value per user. Unique per (holdout, group, day); re-sending a day replaces it."""

    class Group(models.TextChoices):
        HOLDOUT = "holdout", "Holdout"
        EXPOSED = "exposed", "Exposed"

    holdout = models.ForeignKey(Holdout, on_delete=models.CASCADE, related_name="observations")
    date = models.DateField()
    group = models.CharField(max_length=8, choices=Group.choices)
    users = models.PositiveBigIntegerField()
    conversions = models.PositiveBigIntegerField(null=True, blank=True)
    sum = models.FloatField(null=True, blank=True)
    sum_squares = models.FloatField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["holdout", "date", "group"]
        constraints = [
            models.UniqueConstraint(
                fields=["holdout", "group", "date"], name="holdout_observation_one_per_day"
            )
        ]

    def __str__(self):
        return f"{self.holdout_id} {self.date} {self.group}"
