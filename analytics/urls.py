from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("experiments/<int:pk>/upload/", views.experiment_upload, name="upload"),
]
