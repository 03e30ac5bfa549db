"""``/api/v1/`` routes of the analytics app, one list per module."""

from .api import urlpatterns as core_urls
from .api_events import urlpatterns as event_urls
from .api_portfolio import urlpatterns as portfolio_urls

urlpatterns = [*core_urls, *event_urls, *portfolio_urls]
