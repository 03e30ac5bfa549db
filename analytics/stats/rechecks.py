"""Has a shipped winner held up? Its lift measured again on the data since it shipped.

With ``e`` the lift the decision was taken on and ``r`` the lift measured since (both signed
so that an improvement is positive: a fall for lower-is-better metrics), the share retained is
``r / e``. A winner has *faded* when it keeps less than :data:`FADE_SHARE` of its estimate
(``r < FADE_SHARE · e``, which includes any reversal); otherwise it has *held*. No data since
the ship (``r`` NaN) gives no verdict.
"""

from __future__ import annotations

import numpy as np

from ._arrays import floats

# Less than half of the promised lift left is worth the CMO's attention.
FADE_SHARE = 0.5

HELD, FADED, NO_DATA = "held", "faded", "no_data"


def recheck_verdicts(estimated_lift, rechecked_lift, higher_is_better=True) -> np.ndarray:
    """One verdict per shipped winner: ``"held"``, ``"faded"`` or ``"no_data"``."""
    estimated = floats("estimated_lift", estimated_lift)
    rechecked = floats("rechecked_lift", rechecked_lift)
    sign = np.where(np.asarray(higher_is_better, dtype=bool), 1.0, -1.0)
    estimated, rechecked, sign = np.broadcast_arrays(estimated, rechecked, sign)
    faded = sign * rechecked < FADE_SHARE * sign * estimated
    verdicts = np.where(faded, FADED, HELD).astype(object)
    verdicts[np.isnan(rechecked) | np.isnan(estimated)] = NO_DATA
    return verdicts
