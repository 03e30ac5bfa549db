from django.urls import path

from . import pages, views

app_name = "warehouse"

urlpatterns = [
    path("experiments/<int:pk>/warehouse/", views.experiment_panel, name="experiment-panel"),
    path(
        "experiments/<int:pk>/warehouse/refresh/",
        views.experiment_refresh,
        name="experiment-refresh",
    ),
    path(
        "experiments/<int:pk>/warehouse/source/",
        views.experiment_source,
        name="experiment-source",
    ),
    path("data-sources/", pages.source_list_page, name="sources"),
    path("data-sources/new/", pages.source_form_page, name="source-create"),
    path("data-sources/<int:pk>/", pages.source_form_page, name="source-edit"),
    path("data-sources/<int:pk>/test/", pages.source_test_page, name="source-test"),
    path("metrics/", pages.metric_list_page, name="metrics"),
    path("metrics/new/", pages.metric_form_page, name="metric-create"),
    path("metrics/<int:pk>/", pages.metric_detail_page, name="metric"),
    path("metrics/<int:pk>/edit/", pages.metric_form_page, name="metric-edit"),
    path("metrics/<int:pk>/official/", pages.metric_official_page, name="metric-official"),
]
