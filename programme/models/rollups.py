"""The nightly roll-ups, the insights' latest reports and the re-checks of shipped winners.

The tables keep the names they were created under in ``analytics`` (the models moved with
their code; their rows did not need to).
"""

from django.db import models

from experiments.models import (
    Experiment,
    Variant,
)


class PortfolioRollup(models.Model):
    """Nightly programme numbers for one slice (objective, segment, channel, team or operator)."""

    class Dimension(models.TextChoices):
        PROGRAMME = "programme", "Whole programme"
        OBJECTIVE = "objective", "Objective"
        SEGMENT = "segment", "Segment"
        CHANNEL = "channel", "Channel"
        TEAM = "team", "Team"
        OPERATOR = "operator", "Operator"

    computed_on = models.DateField()
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    key = models.CharField(max_length=64, help_text="The slice's id, or its code for channels.")
    label = models.CharField(max_length=200)
    data = models.JSONField(help_text="Counts by status, win rate, velocity, cycle times, impact.")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "analytics_portfoliorollup"
        ordering = ["-computed_on", "dimension", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["computed_on", "dimension", "key"], name="rollup_one_per_day"
            )
        ]

    def __str__(self):
        return f"{self.computed_on} {self.dimension} {self.label}"


class InsightReport(models.Model):
    """The latest computation of one programme insight (``programme/insights``), kept as the
    JSON its page and API endpoint read; the nightly roll-up replaces it."""

    name = models.CharField(max_length=32, unique=True)
    data = models.JSONField()
    computed_at = models.DateTimeField()
    seconds = models.FloatField(help_text="How long the computation took.")

    class Meta:
        db_table = "analytics_insightreport"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} at {self.computed_at:%Y-%m-%d %H:%M}"


class ShipRecheck(models.Model):
    """A shipped winner measured again 30 or 90 days after its "scale" decision, on the data
    that came in after its end date (the holdout), beside the estimate the decision was taken on.
    Written by ``programme.portfolio.rechecks`` (again while it finds no data); the objective
    ledger uses the latest one."""

    class Verdict(models.TextChoices):
        HELD = "held", "Held up"
        FADED = "faded", "Faded"
        NO_DATA = "no_data", "No data since the ship"

    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="ship_rechecks"
    )
    after_days = models.PositiveSmallIntegerField(help_text="Days after the decision: 30 or 90.")
    shipped_on = models.DateField(help_text="The day of the scale decision.")
    checked_on = models.DateField()
    variant = models.ForeignKey(
        Variant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    estimated_lift = models.FloatField(help_text="The lift the decision was taken on.")
    lift = models.FloatField(null=True, blank=True, help_text="The lift measured since.")
    lift_ci_low = models.FloatField(null=True, blank=True)
    lift_ci_high = models.FloatField(null=True, blank=True)
    users = models.PositiveIntegerField(default=0, help_text="Users counted since, both arms.")
    verdict = models.CharField(max_length=8, choices=Verdict.choices)

    class Meta:
        db_table = "analytics_shiprecheck"
        ordering = ["-checked_on", "experiment", "after_days"]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "after_days"], name="ship_recheck_once_per_horizon"
            )
        ]

    def __str__(self):
        return f"{self.experiment_id} +{self.after_days}d: {self.verdict}"

    @property
    def retained(self) -> float | None:
        """Share of the estimated lift still there (1 = all of it)."""
        if self.lift is None or not self.estimated_lift:
            return None
        return self.lift / self.estimated_lift
