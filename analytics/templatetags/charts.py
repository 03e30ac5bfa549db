from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from growthops.plotly_css import maplibre_style_id

register = template.Library()


@register.simple_tag
def plotly_head():
    """Plotly's styles as a stylesheet, and the markers that stop it injecting inline styles
    (refused by our Content-Security-Policy); see growthops/plotly_css.py."""
    return format_html(
        '<link rel="stylesheet" id="plotly.js-style-global" class="no-inline-styles" href="{}">'
        '<meta name="plotly-maplibre-styles" id="{}" content="none">',
        static("vendor/plotly/plotly.css"),
        maplibre_style_id(),
    )
