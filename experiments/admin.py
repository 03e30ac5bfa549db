"""Admin: readable lists; status is read-only and lifecycle steps run as actions via the services."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from growthops.errors import DomainError
from roles.capabilities import require

from .design import DESIGN_FIELDS
from .forms import STEP_FORMS, step_form
from .lifecycle import STEP_SERVICES
from .models import (
    Comment,
    Experiment,
    Hypothesis,
    Metric,
    Objective,
    Segment,
    SegmentEconomics,
    StatusChange,
    Variant,
)
from .services import segment_launch, segment_sunset


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ["name", "kpi", "unit", "baseline", "target", "target_date", "status", "owner"]
    list_filter = ["status", "unit"]
    search_fields = ["name", "kpi"]


class SegmentEconomicsInline(admin.TabularInline):
    model = SegmentEconomics
    extra = 0


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["path", "owner_team", "monthly_reach", "status", "launched_on", "sunset_on"]
    list_filter = ["status", "owner_team"]
    search_fields = ["name", "definition"]
    readonly_fields = ["status", "launched_on", "sunset_on"]
    inlines = [SegmentEconomicsInline]
    actions = ["launch", "sunset"]

    def _run(self, request, queryset, service, verb):
        for segment in queryset:
            try:
                service(segment_id=segment.pk, actor=request.user)
                self.message_user(request, f"{segment.name}: {verb}.", messages.SUCCESS)
            except DomainError as exc:
                self.message_user(request, f"{segment.name}: {exc.message}", messages.ERROR)

    @admin.action(description="Launch selected segments")
    def launch(self, request, queryset):
        self._run(request, queryset, segment_launch, "launched")

    @admin.action(description="Sunset selected segments")
    def sunset(self, request, queryset):
        self._run(request, queryset, segment_sunset, "sunset")


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "kind", "direction", "unit"]
    list_filter = ["kind", "direction"]
    search_fields = ["key", "name"]


@admin.register(Hypothesis)
class HypothesisAdmin(admin.ModelAdmin):
    list_display = ["title", "channel", "objective", "segment", "author", "ice_score", "status"]
    list_filter = ["status", "channel", "objective"]
    search_fields = ["title", "observation", "change", "effect"]
    readonly_fields = ["status"]
    raw_id_fields = ["iterates_on_hypothesis", "iterates_on_experiment"]


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.design_is_frozen

    has_add_permission = has_delete_permission = has_change_permission


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["step", "from_status", "to_status", "actor", "note", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


def _step_action(step: str):
    """An admin action that runs one lifecycle step through its service for each selection."""

    def run(modeladmin, request, queryset):
        form_class = STEP_FORMS.get(step)
        if form_class is not None and "apply" not in request.POST:
            return TemplateResponse(
                request,
                "admin/experiments/step_form.html",
                {
                    **modeladmin.admin_site.each_context(request),
                    "title": f"{step.replace('_', ' ').capitalize()} experiments",
                    "step": step,
                    "form": form_class(),
                    "queryset": queryset,
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                    "opts": modeladmin.model._meta,
                },
            )
        form = step_form(step, request.POST if form_class else {})
        form.is_valid()
        kwargs = form.service_kwargs()
        kwargs["expected_status"] = None
        for experiment in queryset:
            try:
                STEP_SERVICES[step](experiment_id=experiment.pk, actor=request.user, **kwargs)
                modeladmin.message_user(
                    request, f"{experiment}: {step.replace('_', ' ')} done.", messages.SUCCESS
                )
            except DomainError as exc:
                modeladmin.message_user(request, f"{experiment}: {exc.message}", messages.ERROR)
        return None

    run.__name__ = f"step_{step}"
    return admin.action(description=f"{step.replace('_', ' ').capitalize()} selected experiments")(
        run
    )


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "key",
        "status",
        "owner",
        "objective",
        "segment",
        "primary_metric",
        "start_date",
    ]
    list_filter = ["status", "method", "objective", "segment", "owner"]
    search_fields = ["name", "key", "hypothesis__title"]
    raw_id_fields = ["hypothesis"]
    filter_horizontal = ["secondary_metrics", "guardrail_metrics"]
    inlines = [VariantInline, StatusChangeInline]
    actions = [_step_action(step) for step in STEP_SERVICES]
    LIFECYCLE_FIELDS = [
        "status",
        "start_date",
        "end_date",
        "recommendation",
        "analysis",
        "decision",
        "outcome",
        "learnings",
        "kill_reason",
        "kill_note",
    ]
    FROZEN_FIELDS = ["hypothesis", *DESIGN_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.design_is_frozen:
            return self.LIFECYCLE_FIELDS + self.FROZEN_FIELDS
        return self.LIFECYCLE_FIELDS

    def save_model(self, request, obj, form, change):
        if not change:
            require(request.user, "experiments.create")
        super().save_model(request, obj, form, change)


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    list_display = ["experiment", "step", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["step", "to_status"]
    search_fields = ["experiment__name", "note"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["author", "experiment", "hypothesis", "created_at"]
    search_fields = ["body"]
