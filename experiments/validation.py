"""Rules about a set of variants, shared by the design services, admin and submit."""

import math

from analytics.stats.request import WEIGHT_TOLERANCE


def variant_problems(variants: list[tuple[str, bool, float]]) -> dict[str, str]:
    """Problems with (key, is_control, weight) triples: ≥2 variants, one control, weights sum to 1."""
    problems: dict[str, str] = {}
    if len(variants) < 2:
        problems["variants"] = "Add at least two variants (a control and a treatment)."
    controls = sum(1 for _, is_control, _ in variants if is_control)
    if controls != 1:
        problems["control"] = f"Mark exactly one variant as control (found {controls})."
    keys = [key for key, _, _ in variants]
    if len(set(keys)) != len(keys):
        problems["variant_keys"] = "Variant keys must be unique."
    bad = [key for key, _, weight in variants if weight is None or not 0 < weight <= 1]
    if bad:
        problems["weights"] = f"Weights must lie in (0, 1]: {', '.join(bad)}."
    elif variants and not math.isclose(
        sum(w for _, _, w in variants), 1.0, abs_tol=WEIGHT_TOLERANCE
    ):
        total = sum(w for _, _, w in variants)
        problems["weights"] = f"Weights must sum to 1 (they sum to {total:g})."
    return problems
