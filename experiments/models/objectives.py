"""Long-term objectives with numeric targets: what the programme serves."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .constraints import FieldCheckConstraint

# The pure statistics engine (numpy and scipy only), not the analytics app: allowed from here.


class Objective(models.Model):
    class Unit(models.TextChoices):
        CURRENCY = "currency", "Currency"
        COUNT = "count", "Count"
        PERCENT = "percent", "Percent"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ACHIEVED = "achieved", "Achieved"
        MISSED = "missed", "Missed"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=200)
    kpi = models.CharField("KPI", max_length=200)
    unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.CURRENCY)
    baseline = models.DecimalField(max_digits=16, decimal_places=2)
    target = models.DecimalField(max_digits=16, decimal_places=2)
    target_date = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="objectives"
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["target_date", "name"]
        constraints = [
            FieldCheckConstraint(
                condition=~Q(target=models.F("baseline")),
                name="objective_target_differs",
                field="target",
                violation_error_message="The target must differ from the baseline.",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def gap(self):
        return self.target - self.baseline
