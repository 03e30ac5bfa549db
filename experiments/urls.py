from django.urls import path

from . import views

app_name = "experiments"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("experiments/<int:pk>/", views.experiment_detail, name="detail"),
    path("experiments/<int:pk>/steps/<slug:step>/", views.experiment_step, name="step"),
]
