from dataclasses import dataclass

import plotly.graph_objects as go
import plotly.io as pio
from django.utils.safestring import SafeString, mark_safe

# Bootstrap 5.3's colours, so a chart reads like the page around it.
PALETTE = {
    "primary": "#0d6efd",
    "good": "#198754",
    "bad": "#dc3545",
    "neutral": "#6c757d",
    "warning": "#fd7e14",
    "grid": "#dee2e6",
    "text": "#212529",
}
# One colour per variant or series, in order; control first, in grey.
SERIES_COLOURS = ["#6c757d", "#0d6efd", "#6f42c1", "#20c997", "#fd7e14", "#d63384"]
FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
# JSON inside <script type="application/json"> must not be able to close the tag.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})
# Plotly draws its text (titles, axis and tick labels, legend names, hover text, annotations,
# menu labels) from a little HTML of its own: <a href>, <b>, <br>, <span style>… Entities are
# shown as the characters they name, so these three written as entities show as themselves.
_PLOTLY_MARKUP = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape_markup(text: str) -> str:
    """``text`` as Plotly shows it literally, never as a link or a style: for every string a
    person wrote (a name, a KPI, a partner) on its way into a figure, including ``customdata``
    that a hover template shows. Escape after shortening, so that no entity is cut in half."""
    return str(text).translate(_PLOTLY_MARKUP)


def new_figure(*, title: str, x_title: str, y_title: str, height: int = 320) -> go.Figure:
    """An empty figure in the house style: title, labelled axes, the page's font and colours."""
    figure = go.Figure()
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        font={"family": FONT_FAMILY, "size": 12, "color": PALETTE["text"]},
        height=height,
        margin={"l": 56, "r": 16, "t": 48, "b": 48},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "y": -0.2},
        colorway=SERIES_COLOURS,
        hovermode="x unified",
    )
    figure.update_xaxes(title_text=x_title, gridcolor=PALETTE["grid"], zeroline=False)
    figure.update_yaxes(title_text=y_title, gridcolor=PALETTE["grid"], zerolinecolor="#adb5bd")
    return figure


# What the page's Plotly bundle draws (growthops/plotly_css.py: the "basic" build; a test reads
# the bundle). A trace of another type would be drawn as nothing, so a chart refuses it.
DRAWN_TRACE_TYPES = frozenset({"scatter", "bar", "pie"})


@dataclass(frozen=True)
class Chart:
    """A figure ready for a page: a DOM id, the figure, and a plain-language caption.

    ``figure`` may also be a figure's JSON spec (``{"data": [...], "layout": {...}}``), for
    charts of many points that skip ``go.Figure``'s per-property validation."""

    dom_id: str
    figure: go.Figure | dict
    caption: str

    def data_json(self) -> SafeString:
        """The figure as JSON that is safe inside ``<script type="application/json">``."""
        undrawn = self.trace_types() - DRAWN_TRACE_TYPES
        if undrawn:
            raise ValueError(
                f"chart {self.dom_id}: the page's Plotly bundle cannot draw {sorted(undrawn)}"
            )
        text = pio.to_json(self.figure, validate=False)
        return mark_safe(text.translate(_SCRIPT_SAFE))  # escaped just above: cannot close the tag

    def trace_types(self) -> set[str]:
        traces = self.figure.get("data", []) if isinstance(self.figure, dict) else self.figure.data
        # Plotly's default trace type is scatter.
        return {
            (trace.get("type") if isinstance(trace, dict) else trace.type) or "scatter"
            for trace in traces
        }
