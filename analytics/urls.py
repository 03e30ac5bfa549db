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
    path("review/", views.review_queue, name="review"),
    path("review/<int:pk>/<slug:step>/", views.review_step, name="review-step"),
    path("insights/", views.insight_index, name="insights"),
    path("insights/<slug:name>/", views.insight_detail, name="insight"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications-read"),
]
