"""When a difference counts as significant: one rule per analysis method, used everywhere.

The contract's per-comparison ``significant`` is the frequentist case; result snapshots and
guardrail alerts apply the experiment's own method.
"""

FREQUENTIST = "frequentist"
BAYESIAN = "bayesian"
SEQUENTIAL = "sequential"
ANALYSIS_METHODS = (FREQUENTIST, BAYESIAN, SEQUENTIAL)


def is_significant(
    *,
    method: str,
    alpha: float,
    p_value_adjusted: float | None,
    sequential_p_value: float | None = None,
    chance_to_beat_control: float | None = None,
) -> bool:
    """Frequentist: adjusted p < α. Sequential: the always-valid p < α (safe to peek).
    Bayesian: the chance to beat control is beyond 1 − α/2 either way (same two-sided error).
    A number that is undefined (None) is never significant."""
    if method == SEQUENTIAL:
        return sequential_p_value is not None and sequential_p_value < alpha
    if method == BAYESIAN:
        return chance_to_beat_control is not None and (
            chance_to_beat_control >= 1 - alpha / 2 or chance_to_beat_control <= alpha / 2
        )
    return p_value_adjusted is not None and p_value_adjusted < alpha
