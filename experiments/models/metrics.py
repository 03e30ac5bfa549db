"""The metrics experiments are judged on."""

from django.db import models

# The pure statistics engine (numpy and scipy only), not the analytics app: allowed from here.


class Metric(models.Model):
    class Kind(models.TextChoices):
        BINOMIAL = "binomial", "Conversion (binomial)"
        MEAN = "mean", "Value per user (mean)"

    class Direction(models.TextChoices):
        HIGHER = "higher", "Higher is better"
        LOWER = "lower", "Lower is better"

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    direction = models.CharField(max_length=16, choices=Direction.choices, default=Direction.HIGHER)
    unit = models.CharField(max_length=32, blank=True, help_text="e.g. %, EUR, seconds")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def higher_is_better(self) -> bool:
        return self.direction == self.Direction.HIGHER
