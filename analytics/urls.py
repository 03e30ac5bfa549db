from django.urls import path

from . import exports, views

app_name = "analytics"

urlpatterns = [
    path("experiments/<int:pk>/upload/", views.experiment_upload, name="upload"),
    path("experiments/<int:pk>/results/", views.experiment_results, name="experiment-results"),
    path(
        "experiments/<int:pk>/srm/acknowledge/",
        views.experiment_srm_acknowledge,
        name="srm-acknowledge",
    ),
    path(
        "experiments/<int:pk>/upload/template.csv",
        exports.upload_template,
        name="upload-template",
    ),
    path("experiments/<int:pk>/export/results.csv", exports.results_csv, name="export-results-csv"),
    path(
        "experiments/<int:pk>/export/results.json", exports.results_json, name="export-results-json"
    ),
    path(
        "experiments/<int:pk>/export/observations.csv",
        exports.observations_csv,
        name="export-observations-csv",
    ),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications-read"),
]
