"""One sentence that says what a comparison shows, in the words of the experiment's method.

"B raises sign-up conversion by 8.6 % (5.8 % to 11.4 %); significant, an improvement."

Pure: takes the numbers of one stored comparison and returns text (no Django).
"""

from .significance import BAYESIAN, SEQUENTIAL


def _pct(value: float) -> str:
    return f"{value * 100:+.1f} %".replace("-", "−")


def _size(value: float) -> str:
    return f"{abs(value) * 100:.1f} %"


# A rate cannot fall below zero, so its relative lift cannot fall below −100 %: an interval
# computed on the normal approximation may reach past it, and is cut there.
RATE_FLOOR = -1.0
FLOOR_NOTE = "a rate cannot fall below zero"


def rate_floor(low: float | None, *, rate: bool) -> float | None:
    """An interval's low end, bounded at −100 % for a rate (a conversion metric)."""
    if low is None or not rate:
        return low
    return max(low, RATE_FLOOR)


def interval_text(low: float, high: float) -> str:
    """ "−2.0 % to +11.4 %"; a low end at the floor says why it stops there."""
    if low <= RATE_FLOOR:
        return f"{_pct(RATE_FLOOR)} ({FLOOR_NOTE}) to {_pct(high)}"
    return f"{_pct(low)} to {_pct(high)}"


def result_reading(
    *,
    variant: str,
    metric: str,
    lift: float | None,
    lift_ci_low: float | None,
    lift_ci_high: float | None,
    significant: bool,
    higher_is_better: bool,
    method: str,
    chance_to_beat_control: float | None = None,
    control_mean: float | None = None,
    treatment_mean: float | None = None,
) -> str:
    """What ``variant`` did to ``metric`` against control, with its interval and the verdict.

    The verdict follows the method: frequentist and sequential say whether the difference is
    significant (sequential: "yet", since it may still become so), Bayesian gives the chance
    to beat control. A significant move says whether it is good for this metric's direction.
    With both arms at zero (``control_mean`` and ``treatment_mean``) there is nothing to
    compare yet, and the sentence says so rather than claim anything.
    """
    metric = metric[:1].lower() + metric[1:]
    if control_mean == 0 and treatment_mean == 0:
        return f"{variant}: no conversions yet on {metric}, in either arm; nothing to compare."
    if lift is None:
        return f"{variant}: no lift on {metric} can be computed (the control's value is zero)."
    if lift > 0:
        moved = f"{variant} raises {metric} by {_size(lift)}"
    elif lift < 0:
        moved = f"{variant} lowers {metric} by {_size(lift)}"
    else:
        moved = f"{variant} leaves {metric} unchanged"
    if lift_ci_low is not None and lift_ci_high is not None:
        moved += f" ({interval_text(lift_ci_low, lift_ci_high)})"
    if method == BAYESIAN and chance_to_beat_control is not None:
        chance = f"{chance_to_beat_control * 100:.0f} % chance to beat control"
        if significant:
            return f"{moved}; {chance}, {_direction(lift, higher_is_better)}."
        return f"{moved}; {chance}, not decisive yet."
    # The interval is of the lift with the delta method, which also counts the control's own
    # uncertainty; the test is of the difference (or, sequential, always valid): near the
    # line the two can disagree, and the sentence says which one decides.
    crosses = _crosses_zero(lift_ci_low, lift_ci_high)
    if significant and lift != 0:
        if crosses:
            return (
                f"{moved}; significant on the difference, {_direction(lift, higher_is_better)} "
                "(the lift's interval also counts the control's own uncertainty, so it reaches "
                "past zero)."
            )
        return f"{moved}; significant, {_direction(lift, higher_is_better)}."
    if method == SEQUENTIAL:
        if crosses is False:
            return (
                f"{moved}; not significant yet: the interval is a fixed-horizon one, and the "
                "always-valid test, safe to keep watching, decides."
            )
        return f"{moved}; not significant yet (always-valid test, safe to keep watching)."
    if crosses is False:
        return (
            f"{moved}; not significant: the test is of the difference, and the lift's interval "
            "does not decide."
        )
    return f"{moved}; not significant."


def _crosses_zero(low: float | None, high: float | None) -> bool | None:
    """Whether the interval holds zero; None without one."""
    if low is None or high is None:
        return None
    return low <= 0 <= high


def _direction(lift: float, higher_is_better: bool) -> str:
    return "an improvement" if (lift > 0) == higher_is_better else "a deterioration"
