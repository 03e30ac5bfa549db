"""Programme insights (docs/insights.md): table operations over the whole programme's history,
computed together by one nightly roll-up and stored as ``InsightReport`` rows that the pages and
the API read.

An insight is a module in this package that registers an :class:`Insight`; import it below so
that the roll-up, the pages and the API find it.
"""

from .registry import INSIGHTS, Insight, register

__all__ = ["INSIGHTS", "Insight", "register"]

# Each insight registers itself when imported; the order here is the order on the pages.
# isort: off
from . import calibration  # noqa: E402, F401
from . import capacity  # noqa: E402, F401
from . import bottlenecks  # noqa: E402, F401
from . import rechecks  # noqa: E402, F401
from . import false_wins  # noqa: E402, F401
from . import partners  # noqa: E402, F401
from . import faults  # noqa: E402, F401
# isort: on
