from django.urls import path

from . import views

app_name = "roles"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/token/", views.token_generate, name="token-generate"),
    path("profile/token/revoke/", views.token_revoke, name="token-revoke"),
]
