from django.urls import path

from . import views

app_name = "roles"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/token/", views.token_generate, name="token-generate"),
    path("profile/token/revoke/", views.token_revoke, name="token-revoke"),
    path("profile/service-tokens/", views.service_token_new, name="service-token-create"),
    path(
        "profile/service-tokens/<int:pk>/revoke/",
        views.service_token_remove,
        name="service-token-revoke",
    ),
]
