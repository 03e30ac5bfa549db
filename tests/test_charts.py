"""The chart base: Plotly served from our origin, its styles without inline CSS, safe JSON."""

import json
import re

import plotly.graph_objects as go
import plotly.offline
import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from analytics.charts import Chart, new_figure
from analytics.charts.base import DRAWN_TRACE_TYPES
from growthops.plotly_css import PLOTLY_BUNDLE, maplibre_style_id, plotly_css
from growthops.settings import BASE_DIR


def test_the_served_bundle_is_plotly_basic_of_the_release_the_python_package_ships():
    assert finders.find("vendor/plotly/plotly-basic.min.js") == str(PLOTLY_BUNDLE)
    header = PLOTLY_BUNDLE.read_text(encoding="utf-8")[:200]
    release = re.search(r"plotly\.js \(basic - minified\) v(\S+)", header).group(1)
    assert release == plotly.offline.get_plotlyjs_version()


def test_the_bundle_draws_every_trace_type_a_chart_may_use():
    registered = set(
        re.findall(r'moduleType:"trace",name:"(\w+)"', PLOTLY_BUNDLE.read_text(encoding="utf-8"))
    )
    assert registered == DRAWN_TRACE_TYPES == {"scatter", "bar", "pie"}


def test_a_chart_refuses_a_trace_the_bundle_cannot_draw():
    figure = new_figure(title="Heat", x_title="Day", y_title="Segment")
    figure.add_trace(go.Bar(x=[1], y=[2]))
    figure.add_trace(go.Heatmap(z=[[1, 2]]))
    with pytest.raises(
        ValueError, match=r"chart heat: the page's Plotly bundle cannot draw \['heatmap'\]"
    ):
        Chart(dom_id="heat", figure=figure, caption="").data_json()
    spec = {"data": [{"x": [1], "y": [2]}, {"type": "bar", "x": [1], "y": [3]}], "layout": {}}
    assert Chart(dom_id="spec", figure=spec, caption="").trace_types() == {"scatter", "bar"}
    assert json.loads(Chart(dom_id="spec", figure=spec, caption="").data_json())["data"][1][
        "y"
    ] == [3]


def test_committed_stylesheet_matches_the_bundle():
    """After a plotly upgrade this fails until the stylesheet is regenerated (see the module)."""
    committed = (BASE_DIR / "static/vendor/plotly/plotly.css").read_text(encoding="utf-8")
    generated = plotly_css(PLOTLY_BUNDLE.read_text(encoding="utf-8"))
    assert committed == generated
    assert ".js-plotly-plot .plotly .modebar{" in generated
    assert ".plotly-notifier{" in generated


def test_plotly_css_expands_the_bundles_shorthands():
    bundle = 'x;var R={X:"a:1;","X .b":"c:2;",Y:\'d:3;\'};for(k in R)s=k.replace(/^,/," ,")'
    assert plotly_css(bundle).splitlines()[1:] == [
        ".js-plotly-plot .plotly{a:1;}",
        ".js-plotly-plot .plotly .b{c:2;}",
        ".plotly-notifier{d:3;}",
    ]


def test_every_page_carries_the_markers_that_keep_plotly_from_inline_styles(cmo):
    client = Client()
    client.force_login(cmo)
    html = client.get("/").content.decode()
    assert 'id="plotly.js-style-global" class="no-inline-styles"' in html
    assert f'id="{maplibre_style_id()}"' in html
    assert 'data-plotly-src="/static/vendor/plotly/plotly-basic.min.js"' in html


def test_chart_json_cannot_close_its_script_tag_and_keeps_the_data():
    figure = new_figure(title="Sign-ups </script><b>", x_title="Day", y_title="Users")
    figure.add_trace(go.Scatter(x=[1, 2], y=[0.25, 0.5], name="B & C"))
    text = Chart(dom_id="c", figure=figure, caption="").data_json()
    assert "</script>" not in text and "<b>" not in text and "&" not in text
    spec = json.loads(text)
    assert spec["layout"]["title"]["text"] == "Sign-ups </script><b>"
    assert spec["data"][0]["y"] == [0.25, 0.5]
    assert spec["data"][0]["name"] == "B & C"
