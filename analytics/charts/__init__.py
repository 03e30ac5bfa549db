"""Every chart of the product: Plotly figures built here in Python, handed to a page as JSON.

Pages render a :class:`Chart` with ``{% include "_chart.html" %}``; ``static/js/charts.js``
draws it with the Plotly bundle served from our own origin. Tests read ``chart.figure`` to
check that what is drawn is what is stored. Every string a person wrote goes into a figure
through :func:`escape_markup`: Plotly would otherwise draw its tags as links and styles.
"""

from .base import PALETTE, Chart, escape_markup, new_figure

__all__ = ["PALETTE", "Chart", "escape_markup", "new_figure"]
