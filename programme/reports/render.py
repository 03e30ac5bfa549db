"""A board pack's stored content as a page (interactive charts) and as a PDF (the same figures,
drawn to SVG by Plotly's own renderer, then laid out by WeasyPrint)."""

import atexit
import base64
import logging
import warnings
from pathlib import Path

import plotly.io as pio
from django.template.loader import render_to_string

from analytics.charts import Chart

logger = logging.getLogger(__name__)

PDF_STYLESHEET = Path(__file__).with_name("board_pack.css")
PDF_CHART_SIZE = {"width": 760, "height": 340}


def page_context(content: dict) -> dict:
    """The template context of the page: each stored figure as a chart the page draws."""
    return _with_charts(content, _page_chart)


def _page_chart(stored: dict) -> Chart:
    return Chart(stored["dom_id"], stored["figure"], stored["caption"])


def _with_charts(content: dict, draw) -> dict:
    objectives = [{**o, "chart": draw(o["chart"])} for o in content["objectives"]]
    insights = {
        name: {**quoted, "charts": [draw(chart) for chart in quoted["charts"]]}
        for name, quoted in content["insights"].items()
    }
    return {**content, "objectives": objectives, "insights": insights}


_browser_started = False


def _svg_renderer():
    """Draw figures to SVG with Plotly's renderer. One browser serves every pack this process
    builds (about 0.3 s a figure once it is up, against 3 s to start one per figure). Without a
    browser, None: the pack goes without its charts and says so."""
    global _browser_started
    try:
        import kaleido

        if not _browser_started:
            kaleido.start_sync_server(silence_warnings=True)
            atexit.register(_stop_browser)
            _browser_started = True
    except Exception:  # no Chromium on this machine
        logger.warning("Board pack charts: no browser to draw them", exc_info=True)
        return None

    def to_svg(figure) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # options the shared browser ignores
            return pio.to_image(figure, format="svg", **PDF_CHART_SIZE).decode()

    return to_svg


def _stop_browser() -> None:
    import kaleido

    # At exit the log streams may already be closed; the browser's farewell lines are not news.
    logging.disable(logging.CRITICAL)
    kaleido.stop_sync_server(silence_warnings=True)


def pdf_bytes(content: dict, *, title: str) -> bytes:
    """The pack as a PDF: the document template with every chart drawn as SVG."""
    from weasyprint import CSS, HTML

    to_svg = _svg_renderer()

    def draw(stored: dict) -> dict:
        svg = None
        if to_svg is not None:
            try:
                # As an image: WeasyPrint draws an SVG image with its own SVG renderer.
                svg = "data:image/svg+xml;base64," + base64.b64encode(
                    to_svg(stored["figure"]).encode()
                ).decode("ascii")
            except Exception:
                logger.warning("Board pack chart %s not drawn", stored["dom_id"], exc_info=True)
        return {"svg": svg, "caption": stored["caption"], "dom_id": stored["dom_id"]}

    context = {**_with_charts(content, draw), "title": title, "for_pdf": True}
    html = render_to_string("programme/reports/board_pack_document.html", context)
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(PDF_STYLESHEET))])
