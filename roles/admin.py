from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils import timezone

from .models import AuditEntry, OperatorProfile, ServiceToken, Team, User


class OperatorProfileInline(admin.StackedInline):
    model = OperatorProfile
    can_delete = False
    extra = 0


@admin.register(User)
class RoleUserAdmin(UserAdmin):
    list_display = ["username", "get_full_name", "email", "role", "is_active", "is_staff"]
    list_filter = ["role", "is_active", "is_staff", "teams"]
    fieldsets = UserAdmin.fieldsets + (("GrowthOps", {"fields": ["role"]}),)
    add_fieldsets = UserAdmin.add_fieldsets + (("GrowthOps", {"fields": ["role"]}),)
    inlines = [OperatorProfileInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count"]
    search_fields = ["name", "members__username"]
    filter_horizontal = ["members"]

    @admin.display(description="Members")
    def member_count(self, team):
        return team.members.count()


@admin.register(OperatorProfile)
class OperatorProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "channels", "specialities", "capacity"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]


@admin.register(ServiceToken)
class ServiceTokenAdmin(admin.ModelAdmin):
    """Everyone's service tokens, to see and revoke; made only by their owner (the secret is
    shown to them once), so there is no add or edit form here."""

    list_display = ["name", "user", "prefix", "scopes", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = [f.name for f in ServiceToken._meta.fields if f.name != "digest"]
    exclude = ["digest"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected tokens", permissions=["delete"])
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read only: the trail is written by the services, never edited."""

    list_display = ["at", "actor", "subject", "subject_id", "action"]
    list_filter = ["subject", "action"]
    readonly_fields = ["at", "actor", "subject", "subject_id", "action", "changes"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
