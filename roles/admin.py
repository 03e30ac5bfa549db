from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils import timezone

from .models import AuditEntry, OperatorProfile, Partner, ServiceToken, Team, User
from .partners import json_value
from .services import audit_record


class AuditedAdmin(admin.ModelAdmin):
    """Admin saves of the set-up (teams, operators' profiles, partners, users' role and
    partner) leave the same ``AuditEntry`` as the services do: field → [before, after], by the
    admin who saved, after the many-to-many fields are saved too."""

    audit_subject: str = ""
    audit_fields: tuple[str, ...] = ()

    def _audit_state(self, pk) -> dict:
        obj = self.model.objects.get(pk=pk)
        state = {}
        for name in self.audit_fields:
            field = self.model._meta.get_field(name)
            if field.many_to_many:
                state[name] = sorted(str(o) for o in getattr(obj, name).all())
            elif field.is_relation:
                state[name] = str(getattr(obj, name) or "") or None
            else:
                state[name] = json_value(getattr(obj, name))
        return state

    def save_model(self, request, obj, form, change):
        request._audit_before = self._audit_state(obj.pk) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_audit_before", {})
        after = self._audit_state(form.instance.pk)
        changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        if changes or not change:
            audit_record(
                actor=request.user,
                subject=self.audit_subject,
                subject_id=form.instance.pk,
                action="admin_updated" if change else "admin_created",
                changes=changes,
            )


class OperatorProfileInline(admin.StackedInline):
    model = OperatorProfile
    can_delete = False
    extra = 0


@admin.register(User)
class RoleUserAdmin(AuditedAdmin, UserAdmin):
    list_display = ["username", "get_full_name", "email", "role", "is_active", "is_staff"]
    list_filter = ["role", "is_active", "is_staff", "teams"]
    fieldsets = UserAdmin.fieldsets + (("GrowthOps", {"fields": ["role", "partner"]}),)
    add_fieldsets = UserAdmin.add_fieldsets + (("GrowthOps", {"fields": ["role", "partner"]}),)
    inlines = [OperatorProfileInline]
    audit_subject = AuditEntry.Subject.USER
    audit_fields = ("username", "role", "partner", "is_active", "is_staff", "is_superuser")


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    audit_subject = AuditEntry.Subject.TEAM
    audit_fields = ("name", "members")
    list_display = ["name", "member_count"]
    search_fields = ["name", "members__username"]
    filter_horizontal = ["members"]

    @admin.display(description="Members")
    def member_count(self, team):
        return team.members.count()


@admin.register(OperatorProfile)
class OperatorProfileAdmin(AuditedAdmin):
    audit_subject = AuditEntry.Subject.OPERATOR
    audit_fields = ("channels", "specialities", "capacity")
    list_display = ["user", "channels", "specialities", "capacity"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]


@admin.register(Partner)
class PartnerAdmin(AuditedAdmin):
    list_display = ["name", "contract_start", "contract_end", "monthly_fee", "fee_currency"]
    search_fields = ["name", "contact_name"]
    audit_subject = AuditEntry.Subject.PARTNER
    audit_fields = (
        "name", "contract_start", "contract_end", "monthly_fee", "fee_currency",
        "media_billing", "media_markup", "contact_name", "contact_email",
    )  # fmt: skip


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
