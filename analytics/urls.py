from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("experiments/<int:pk>/upload/", views.experiment_upload, name="upload"),
    path("experiments/<int:pk>/results/", views.experiment_results, name="experiment-results"),
    path(
        "experiments/<int:pk>/srm/acknowledge/",
        views.experiment_srm_acknowledge,
        name="srm-acknowledge",
    ),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications-read"),
]
