from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("webhooks/", views.endpoint_list_page, name="list"),
    path("webhooks/new/", views.endpoint_create_page, name="create"),
    path("webhooks/<int:pk>/", views.endpoint_detail_page, name="detail"),
    path("webhooks/<int:pk>/secret/", views.endpoint_rotate_secret_page, name="rotate-secret"),
    path("webhooks/<int:pk>/active/", views.endpoint_toggle_active_page, name="toggle-active"),
    path("webhooks/<int:pk>/test/", views.endpoint_test_page, name="test"),
]
