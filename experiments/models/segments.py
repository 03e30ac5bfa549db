"""Audience segments, their tree, and each period's acquisition economics."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

# The pure statistics engine (numpy and scipy only), not the analytics app: allowed from here.
from roles.models import Team

from .constraints import FieldCheckConstraint


class Segment(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUNSET = "sunset", "Sunset"

    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="segments")
    monthly_reach = models.PositiveIntegerField(help_text="People reached per month.")
    definition = models.TextField(help_text="Who is in this segment, precisely.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    launched_on = models.DateField(null=True, blank=True)
    sunset_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="segment_unique_name_per_parent"
            ),
            FieldCheckConstraint(
                condition=Q(sunset_on__isnull=True)
                | Q(launched_on__isnull=True)
                | Q(sunset_on__gte=models.F("launched_on")),
                name="segment_sunset_after_launch",
                field="sunset_on",
                violation_error_message="A segment cannot be sunset before it was launched.",
            ),
        ]

    def __str__(self):
        return self.path

    @property
    def path(self) -> str:
        return segment_path(self, lambda segment: segment.parent)

    @property
    def member_ids(self) -> set[int]:
        """The owning team's members: who may write the segment's economics
        (``roles.capabilities``, ``segments.economics``)."""
        return set(self.owner_team.members.values_list("pk", flat=True))

    def sunset_problem(self) -> str | None:
        """Why no new work may target this segment, or None while it is active."""
        if self.status == self.Status.SUNSET:
            return f"“{self.name}” has been sunset; choose an active segment."
        return None

    def clean(self):
        node = self.parent
        while node is not None:
            if self.pk is not None and node.pk == self.pk:
                raise ValidationError({"parent": "A segment cannot sit below itself."})
            node = node.parent


def segment_path(segment: Segment | None, parent_of: Callable[[Segment], Segment | None]) -> str:
    """“Parent › child” from the root down; ``parent_of`` looks a parent up (a query or a dict).

    Stops at a repeated segment, so a cycle in bad data cannot loop forever."""
    names, node, seen = [], segment, set()
    while node is not None and node.pk not in seen:
        seen.add(node.pk)
        names.append(node.name)
        node = parent_of(node)
    return " › ".join(reversed(names))


class SegmentEconomics(models.Model):
    """One period's acquisition economics of a segment: CAC and value-to-cost derive from it."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="economics")
    period_start = models.DateField()
    period_end = models.DateField()
    customers_acquired = models.PositiveIntegerField()
    customer_value = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text="Total value of the customers acquired in the period.",
    )
    acquisition_cost = models.DecimalField(
        max_digits=16, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["segment", "-period_start"]
        verbose_name_plural = "segment economics"
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "period_start"], name="economics_one_per_period"
            ),
            FieldCheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="economics_period_in_order",
                field="period_end",
                violation_error_message="The period must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(customer_value__gte=0) & Q(acquisition_cost__gte=0),
                name="economics_non_negative",
            ),
        ]

    def __str__(self):
        return f"{self.segment.name} {self.period_start:%Y-%m}"

    @property
    def cac(self):
        """Customer acquisition cost: cost / customers acquired (None with no customers)."""
        return self.acquisition_cost / self.customers_acquired if self.customers_acquired else None

    @property
    def value_to_cost(self):
        """Value of acquired customers per unit of acquisition cost (None when nothing spent)."""
        return self.customer_value / self.acquisition_cost if self.acquisition_cost else None
