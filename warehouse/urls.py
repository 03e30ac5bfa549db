from django.urls import path

from . import views

app_name = "warehouse"

urlpatterns = [
    path("experiments/<int:pk>/warehouse/", views.experiment_panel, name="experiment-panel"),
    path(
        "experiments/<int:pk>/warehouse/refresh/",
        views.experiment_refresh,
        name="experiment-refresh",
    ),
]
