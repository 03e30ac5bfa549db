"""Admin: readable lists; status is read-only and lifecycle steps run as actions via the services.

Being a superuser opens the admin, not the capability table: owner and lifecycle fields are
read-only, a design is editable only by whom the table lets design it (and only until approval
freezes it), and every experiment write goes through the design service.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from growthops.errors import DomainError
from roles.capabilities import can

from .design import DESIGN_FIELDS, DESIGN_MANY_TO_MANY_FIELDS
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
from .services import (
    comment_create,
    experiment_save_design,
    segment_launch,
    segment_sunset,
)


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


def _may_edit_design(request, experiment) -> bool:
    return can(request.user, "experiments.design", experiment) and not experiment.design_is_frozen


class VariantInline(admin.TabularInline):
    """Variants are part of the design; they are saved by ExperimentAdmin through the service."""

    model = Variant
    extra = 0
    fields = ["key", "name", "is_control", "weight", "description"]

    def has_change_permission(self, request, obj=None):
        return obj is None or _may_edit_design(request, obj)

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
    # The form gives metric sets as querysets, the service takes lists.
    METRIC_SETS = list(DESIGN_MANY_TO_MANY_FIELDS)
    SCALAR_DESIGN_FIELDS = [f for f in DESIGN_FIELDS if f not in DESIGN_MANY_TO_MANY_FIELDS]

    def has_change_permission(self, request, obj=None):
        # Only whoever may design it, until approval freezes the design (one rule, the
        # capability table and ``design_is_frozen``): everyone else sees it read-only.
        if obj is None:
            return super().has_change_permission(request)
        return super().has_change_permission(request, obj) and _may_edit_design(request, obj)

    def get_readonly_fields(self, request, obj=None):
        # Ownership changes only through a service that records them; nothing here does that.
        # The template is chosen on the design page or in the API, where its locks apply.
        if obj is None:
            return ["owner", "template", *self.LIFECYCLE_FIELDS]
        return ["owner", "key", "hypothesis", "template", *self.LIFECYCLE_FIELDS]

    def save_model(self, request, obj, form, change):
        # Nothing here: save_related, which also receives the variants, saves the whole design
        # in one call of the design service.
        pass

    def save_related(self, request, form, formsets, change):
        """The design's fields, metric sets and variants in one call of the design service (it
        checks them whole, in one transaction)."""
        data, obj = form.cleaned_data, form.instance
        scalars = form.changed_data if change else data
        design = {f: data[f] for f in self.SCALAR_DESIGN_FIELDS if f in scalars}
        design |= {f: list(data[f]) for f in self.METRIC_SETS if f in form.changed_data}
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            if formset.model is Variant and formset.has_changed():
                design["variants"] = [
                    {name: f.cleaned_data[name] for name in VariantInline.fields}
                    for f in formset.forms
                    if f.cleaned_data and not f.cleaned_data.get("DELETE")
                ]
        if not change:
            design |= {"hypothesis": data["hypothesis"], "key": data["key"]}
        try:
            saved = experiment_save_design(
                actor=request.user, experiment_id=obj.pk if change else None, **design
            )
        except DomainError as exc:
            raise PermissionDenied(exc.message) from exc
        if not change:
            obj.pk, obj.owner, obj.created_at = saved.pk, saved.owner, saved.created_at
            obj._state.adding, obj._state.db = False, saved._state.db


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
    """A comment is signed by whoever writes it: the author is never a field to fill in, a new
    comment goes through ``comment_create`` as the signed-in user, and only its author may
    change one (anyone who may open the admin may still delete it)."""

    list_display = ["author", "experiment", "hypothesis", "created_at"]
    search_fields = ["body"]
    fields = ["experiment", "hypothesis", "body", "author", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["author", "created_at"]
        return ["experiment", "hypothesis", "author", "created_at"]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.author_id == request.user.pk)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)  # its author's own words
            return
        data = form.cleaned_data
        try:
            created = comment_create(
                actor=request.user,
                body=data["body"],
                experiment=data.get("experiment"),
                hypothesis=data.get("hypothesis"),
            )
        except DomainError as exc:
            raise PermissionDenied(exc.message) from exc
        obj.pk, obj.author, obj.body, obj.created_at = (
            created.pk,
            created.author,
            created.body,
            created.created_at,
        )
        obj._state.adding, obj._state.db = False, created._state.db
