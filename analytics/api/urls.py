"""``/api/v1/`` routes of the analytics app, one list per module."""

from .events import urlpatterns as event_urls
from .portfolio import urlpatterns as portfolio_urls
from .results import urlpatterns as core_urls

urlpatterns = [*core_urls, *event_urls, *portfolio_urls]
