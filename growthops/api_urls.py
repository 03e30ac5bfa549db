"""The ``/api/v1/`` router: each app registers its own routes here."""

from django.urls import include, path

urlpatterns = [
    path("", include("experiments.api_urls")),
    path("", include("analytics.api.urls")),
]
