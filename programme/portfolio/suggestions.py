"""A realistic MDE for a new design: what past tests in the segment actually delivered, once
shrunk for the winner's curse (docs/decisions.md, "Templates").

The suggestion is the upper quartile of the segment's shrunk lifts: a design that needs a
larger effect bets on doing better than three in four of the segment's past tests. With fewer
than ``MIN_TESTS`` concluded tests in the segment, the programme's prior stands in: the upper
quartile of the normal distribution of true lifts the shrinkage fitted.

Handed to ``experiments.suggestions`` from ``ProgrammeConfig``.
"""

import numpy as np
from django.db.models import Q

from experiments.models import Experiment, Metric, Segment
from experiments.suggestions import Suggestion

from .shrinkage import programme_shrinkage

MIN_TESTS = 3
UPPER_QUARTILE_Z = 0.6745  # Φ⁻¹(0.75)
# Below this a suggestion would only say "the segment's tests rarely won".
SMALLEST_MDE = 0.005


def realistic_mde_suggestions(segment: Segment | None, metric: Metric | None) -> list[Suggestion]:
    shrinkage = programme_shrinkage()
    if not shrinkage.lifts:
        return []
    if segment is not None:
        ids = Experiment.objects.filter(
            Q(segment=segment) | Q(segment__isnull=True, hypothesis__segment=segment),
            pk__in=list(shrinkage.lifts),
        ).values_list("pk", flat=True)
        shrunk = [shrinkage.lifts[pk].shrunk for pk in ids]
        if len(shrunk) >= MIN_TESTS:
            value = float(np.percentile(shrunk, 75))
            source = (
                f"The upper quartile of the shrunk lifts of {len(shrunk)} concluded tests in "
                f"“{segment.name}”: a larger MDE bets on beating three in four of them."
            )
            return _suggested(value, source)
    if shrinkage.prior_mean is None or shrinkage.prior_sd is None:
        return []
    value = shrinkage.prior_mean + UPPER_QUARTILE_Z * shrinkage.prior_sd
    where = f"fewer than {MIN_TESTS} in “{segment.name}”" if segment is not None else "no segment"
    source = (
        f"The upper quartile of the programme's true lifts, fitted on {shrinkage.fitted_on} "
        f"concluded tests ({where})."
    )
    return _suggested(value, source)


def _suggested(value: float, source: str) -> list[Suggestion]:
    if value < SMALLEST_MDE:
        return []
    return [Suggestion("mde", round(value, 3), source)]
