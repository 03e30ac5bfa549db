"""Admin: endpoints and deliveries to read; only an endpoint's ``active`` flag can be changed.

Registering and editing endpoints is the API's (it checks the URL through the services).
"""

from django.contrib import admin
from django.db import models

from roles.capabilities import can

from .models import WebhookDelivery, WebhookEndpoint
from .services import endpoint_update


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "description", "active", "created_by", "created_at"]
    list_filter = ["active"]
    list_editable = ["active"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    search_fields = ["url", "description"]
    fields = ["url", "events", "description", "active", "created_by", "created_at", "updated_at"]
    readonly_fields = ["url", "events", "description", "created_by", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Being a superuser opens the admin, not the capability table.
        return super().has_change_permission(request, obj) and can(request.user, "webhooks.manage")

    def save_model(self, request, obj, form, change):
        endpoint_update(endpoint_id=obj.pk, actor=request.user, active=obj.active)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "event",
        "endpoint",
        "status",
        "attempts",
        "response_code",
        "delivered_at",
    ]
    list_filter = ["status", "event"]
    search_fields = ["source", "endpoint__url"]
    list_select_related = ["endpoint"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
