"""Writes other than lifecycle steps: objectives, segments, hypotheses, designs, comments.

Each service checks who is asking through the capability table and validates its input
before anything is written; a refusal raises a domain error and leaves no partial rows.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from growthops.errors import TransitionNotAllowed, ValidationFailed
from roles.capabilities import can, require
from roles.models import OperatorProfile

from .design import DESIGN_FIELDS, DESIGN_MANY_TO_MANY_FIELDS
from .hooks import hypothesis_triaged
from .lifecycle import experiment_submit
from .models import (
    LIVE,
    OCCUPIES_OPERATOR,
    Comment,
    Experiment,
    ExperimentStatus,
    ExperimentTemplate,
    Hypothesis,
    Objective,
    Segment,
    Variant,
)
from .protocols import (
    current_design,
    locked_changes,
    locked_fields_problems,
    normalized_rule,
    template_design,
)
from .validation import variant_problems


def _full_clean(instance, exclude=None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ValidationFailed(exc.message_dict) from exc


# --- objectives and segments (the CMO's) -----------------------------------------------


def objective_create(*, actor, **fields) -> Objective:
    require(actor, "objectives.manage")
    objective = Objective(owner=actor, **fields)
    _objective_clean(objective, stored_target_date=None)
    objective.save()
    return objective


def objective_update(*, objective_id: int, actor, **fields) -> Objective:
    require(actor, "objectives.manage")
    with transaction.atomic():
        objective = Objective.objects.select_for_update().get(pk=objective_id)
        stored_target_date = objective.target_date
        for name, value in fields.items():
            setattr(objective, name, value)
        _objective_clean(objective, stored_target_date=stored_target_date)
        objective.save()
    return objective


def _objective_clean(objective: Objective, *, stored_target_date) -> None:
    """The model's checks and the target date's, every problem in one refusal."""
    try:
        objective.full_clean()
        errors = {}
    except ValidationError as exc:
        errors = exc.message_dict
    if "target_date" not in errors:  # full_clean has made it a date
        problem = _target_date_problem(objective.target_date, stored=stored_target_date)
        if problem:
            errors["target_date"] = [problem]
    if errors:
        raise ValidationFailed(errors)


def _target_date_problem(target_date, *, stored=None) -> str | None:
    """A target date set now may not have passed. An objective whose date passed since it was
    set keeps that date through edits of its other fields (``stored``: the date it has)."""
    if target_date == stored or target_date >= timezone.localdate():
        return None
    return f"{target_date:%-d %b %Y} has passed; a target date is today or later."


def objective_archive(*, objective_id: int, actor) -> Objective:
    """Retire an objective: it leaves the dashboard; its experiments and history stay.

    Archiving one already retired is a no-op."""
    require(actor, "objectives.manage")
    with transaction.atomic():
        objective = Objective.objects.select_for_update().get(pk=objective_id)
        if objective.status != Objective.Status.RETIRED:
            objective.status = Objective.Status.RETIRED
            objective.save(update_fields=["status"])
    return objective


def segment_launch(*, segment_id: int, actor) -> Segment:
    require(actor, "segments.manage")
    with transaction.atomic():
        segment = Segment.objects.select_for_update().get(pk=segment_id)
        if segment.status != Segment.Status.ACTIVE or segment.launched_on is None:
            segment.status = Segment.Status.ACTIVE
            segment.launched_on = segment.launched_on or timezone.localdate()
            segment.sunset_on = None
            segment.save(update_fields=["status", "launched_on", "sunset_on"])
    return segment


def segment_sunset(*, segment_id: int, actor) -> Segment:
    require(actor, "segments.manage")
    with transaction.atomic():
        segment = Segment.objects.select_for_update().get(pk=segment_id)
        if segment.status == Segment.Status.SUNSET:
            return segment
        running = segment.experiments.filter(status__in=LIVE)
        if running.exists():
            names = ", ".join(e.name for e in running[:5])
            raise TransitionNotAllowed(
                f"“{segment.name}” still has experiments running ({names}); complete or kill them first."
            )
        segment.status = Segment.Status.SUNSET
        segment.sunset_on = timezone.localdate()
        segment.save(update_fields=["status", "sunset_on"])
    return segment


# --- hypotheses ----------------------------------------------------------------------

HYPOTHESIS_TRIAGE_TARGETS = {Hypothesis.Status.BACKLOG, Hypothesis.Status.REJECTED}


def hypothesis_create(*, actor, **fields) -> Hypothesis:
    require(actor, "hypotheses.create")
    hypothesis = Hypothesis(author=actor, status=Hypothesis.Status.NEW, **fields)
    _full_clean(hypothesis)
    sunset = hypothesis.segment.sunset_problem()
    if sunset:
        raise ValidationFailed({"segment": sunset})
    hypothesis.save()
    return hypothesis


def hypothesis_triage(*, hypothesis_id: int, actor, status: str, reason: str = "") -> Hypothesis:
    """Move a new (or backlogged) hypothesis to the backlog or reject it.

    A ``reason`` is kept as the actor's comment on the hypothesis, in the same transaction.
    """
    require(actor, "hypotheses.triage")
    if status not in HYPOTHESIS_TRIAGE_TARGETS:
        raise ValidationFailed({"status": "Triage moves a hypothesis to backlog or rejected."})
    with transaction.atomic():
        hypothesis = Hypothesis.objects.select_for_update().get(pk=hypothesis_id)
        if hypothesis.status == status:
            return hypothesis
        if hypothesis.status not in (Hypothesis.Status.NEW, Hypothesis.Status.BACKLOG):
            raise TransitionNotAllowed(
                f"“{hypothesis}” is {hypothesis.get_status_display().lower()}; only new or "
                "backlog hypotheses can be triaged."
            )
        if hypothesis.status == Hypothesis.Status.NEW:
            hypothesis.triaged_at = timezone.now()
        hypothesis.status = status
        hypothesis.save(update_fields=["status", "triaged_at", "updated_at"])
        if reason.strip():
            label = Hypothesis.Status(status).label
            comment_create(actor=actor, hypothesis=hypothesis, body=f"{label}: {reason.strip()}")
        hypothesis_triaged(hypothesis=hypothesis, actor=actor)
    return hypothesis


def hypothesis_score(
    *,
    hypothesis_id: int,
    actor,
    impact: int,
    confidence: int,
    ease: int,
    reach: int | None = None,
    effort: float | None = None,
) -> Hypothesis:
    require(actor, "hypotheses.triage")
    with transaction.atomic():
        hypothesis = Hypothesis.objects.select_for_update().get(pk=hypothesis_id)
        hypothesis.impact, hypothesis.confidence, hypothesis.ease = impact, confidence, ease
        hypothesis.reach, hypothesis.effort = reach, effort
        hypothesis.scored_by, hypothesis.scored_at = actor, timezone.now()
        _full_clean(hypothesis)
        hypothesis.save()
    return hypothesis


# --- experiment design (the owner's, until approval) -----------------------------------

# New ideas are triaged first; tested ones may be tested again (iterations).
TESTABLE_HYPOTHESIS_STATUSES = {
    Hypothesis.Status.BACKLOG,
    Hypothesis.Status.IN_TEST,
    Hypothesis.Status.VALIDATED,
    Hypothesis.Status.INVALIDATED,
    Hypothesis.Status.INCONCLUSIVE,
}


def experiment_create(
    *,
    actor,
    hypothesis: Hypothesis,
    name: str,
    key: str,
    variants=None,
    template: ExperimentTemplate | None = None,
    **fields,
) -> Experiment:
    """A draft experiment for ``hypothesis`` owned by ``actor``, within their capacity.

    Made from a ``template``, it starts with the template's design; a field the template
    locks may be given only with the template's value."""
    require(actor, "experiments.create")
    unknown = set(fields) - set(DESIGN_FIELDS)
    if unknown:
        raise ValidationFailed({field: "Not a design field." for field in sorted(unknown)})
    fields = _as_partner(actor, fields, creating=True, hypothesis=hypothesis)
    if template is not None:
        start = template_design(template)
        locked = locked_changes(template, start, fields)
        if locked:
            raise ValidationFailed(locked)
        fields = {**start, **fields}
    if "decision_rule" in fields:
        fields["decision_rule"] = normalized_rule(fields["decision_rule"])
    # Secondary and guardrail metrics are linked once the experiment has a row.
    related = {name: fields.pop(name) for name in DESIGN_MANY_TO_MANY_FIELDS if name in fields}
    if hypothesis.status not in TESTABLE_HYPOTHESIS_STATUSES:
        raise ValidationFailed(
            {
                "hypothesis": f"This hypothesis is {hypothesis.get_status_display().lower()}; "
                "triage it into the backlog first."
            }
        )
    fields.setdefault("objective", hypothesis.objective)
    fields.setdefault("segment", hypothesis.segment)
    fields.setdefault("primary_metric", hypothesis.metric)
    fields.setdefault("mde", hypothesis.expected_mde)
    with transaction.atomic():
        _check_capacity(actor)
        experiment = Experiment(
            owner=actor, hypothesis=hypothesis, name=name, key=key, template=template, **fields
        )
        _full_clean(experiment)
        experiment.save()
        for name, metrics in related.items():
            getattr(experiment, name).set(metrics)
        if variants is not None:
            _replace_variants(experiment, variants)
    return experiment


@transaction.atomic
def experiment_save_design(
    *, actor, experiment_id: int | None = None, submit: bool = False, **design
) -> Experiment:
    """Save a design and, with ``submit``, send it for review: all of it or nothing.

    Without ``experiment_id`` it is a new draft (:func:`experiment_create`'s arguments:
    ``hypothesis``, ``name``, ``key``, …); with it, the draft's edit
    (:func:`experiment_update_design`). The design page, the API and the admin all save here.
    """
    if experiment_id is None:
        experiment = experiment_create(actor=actor, **design)
    else:
        experiment = experiment_update_design(experiment_id=experiment_id, actor=actor, **design)
    if submit:
        experiment = experiment_submit(
            experiment_id=experiment.pk, actor=actor, expected_status=ExperimentStatus.DRAFT
        )
    return experiment


def _as_partner(actor, fields: dict, *, creating: bool = False, hypothesis=None) -> dict:
    """A partner's people design for their partner: the experiment is the agency's, names no
    other partner, and tests an idea the partner logged or already tests (docs/partners.md)."""
    if can(actor, "experiments.all_partners"):
        return fields
    problems = {}
    if hypothesis is not None and not (
        hypothesis.author.partner_id == actor.partner_id
        or hypothesis.experiments.filter(partner_id=actor.partner_id).exists()
    ):
        problems["hypothesis"] = "Not a hypothesis you may see: log your idea first."
    if fields.get("partner") not in (None, actor.partner):
        problems["partner"] = f"You design for {actor.partner} only."
    if fields.get("executed_by") not in (None, Experiment.ExecutedBy.AGENCY):
        problems["executed_by"] = f"An experiment you design is run by {actor.partner}."
    if problems:
        raise ValidationFailed(problems)
    if not creating:
        return fields
    return {**fields, "executed_by": Experiment.ExecutedBy.AGENCY, "partner": actor.partner}


def _check_capacity(operator) -> None:
    # Lock the profile so two designs created at once cannot both squeeze under the limit.
    profile = OperatorProfile.objects.select_for_update().filter(user=operator).first()
    if profile is None:
        return
    owned = Experiment.objects.filter(owner=operator, status__in=OCCUPIES_OPERATOR).count()
    if owned >= profile.capacity:
        raise ValidationFailed(
            {
                "owner": f"{operator} already owns {owned} active experiments (capacity {profile.capacity})."
            }
        )


def experiment_update_design(*, experiment_id: int, actor, variants=None, **fields) -> Experiment:
    """Edit the design; refused once the experiment is approved (approval freezes it), and
    for the fields its template locks."""
    unknown = set(fields) - set(DESIGN_FIELDS)
    if unknown:
        raise ValidationFailed({field: "Not a design field." for field in sorted(unknown)})
    if "decision_rule" in fields:
        fields["decision_rule"] = normalized_rule(fields["decision_rule"])
    with transaction.atomic():
        experiment = (
            Experiment.objects.select_for_update(of=("self",))
            .select_related("template")
            .get(pk=experiment_id)
        )
        require(actor, "experiments.design", experiment)
        fields = _as_partner(actor, fields)
        if experiment.design_is_frozen:
            raise TransitionNotAllowed(
                f"“{experiment}” is {experiment.get_status_display().lower()}: its design was "
                "frozen at approval."
            )
        locked = locked_changes(experiment.template, current_design(experiment, fields), fields)
        if locked:
            raise ValidationFailed(locked)
        secondary = fields.pop("secondary_metrics", None)
        guardrail = fields.pop("guardrail_metrics", None)
        for name, value in fields.items():
            setattr(experiment, name, value)
        _full_clean(experiment)
        experiment.save()
        if secondary is not None:
            experiment.secondary_metrics.set(secondary)
        if guardrail is not None:
            experiment.guardrail_metrics.set(guardrail)
        if variants is not None:
            _replace_variants(experiment, variants)
    return experiment


def _replace_variants(experiment: Experiment, variants: list[dict]) -> None:
    """Replace all variants at once; ``variants`` are dicts of key, name, is_control, weight."""
    problems = variant_problems(
        [(v.get("key", ""), bool(v.get("is_control")), v.get("weight")) for v in variants]
    )
    if problems:
        raise ValidationFailed(problems)
    experiment.variants.all().delete()
    rows = [Variant(experiment=experiment, **v) for v in variants]
    for row in rows:
        _full_clean(row, exclude=["experiment"])
    Variant.objects.bulk_create(rows)


# --- comments ------------------------------------------------------------------------


# --- what an experiment cost (any status: invoices arrive after the test) ---------------

COST_FIELDS = ("build_cost", "media_cost")


def experiment_record_cost(*, experiment_id: int, actor, **costs) -> Experiment:
    """Record the build and/or media cost of an experiment (docs/insights.md, "Partners and
    cost"). A field left out keeps its value; ``None`` clears it. Recording the same figures
    again changes nothing."""
    unknown = sorted(set(costs) - set(COST_FIELDS))
    if unknown:
        raise ValidationFailed({name: "Not a cost field." for name in unknown})
    if not costs:
        raise ValidationFailed({"build_cost": "Give the build cost, the media cost or both."})
    with transaction.atomic():
        experiment = Experiment.objects.select_for_update().get(pk=experiment_id)
        require(actor, "experiments.cost", experiment)
        errors = {}
        for name, value in costs.items():
            try:
                costs[name] = Experiment._meta.get_field(name).clean(value, experiment)
            except ValidationError as exc:
                errors[name] = exc.messages
        if errors:
            raise ValidationFailed(errors)
        changed = [name for name, value in costs.items() if getattr(experiment, name) != value]
        if changed:
            for name in changed:
                setattr(experiment, name, costs[name])
            experiment.save(update_fields=[*changed, "updated_at"])
    return experiment


def comment_create(*, actor, body: str, experiment=None, hypothesis=None) -> Comment:
    require(actor, "comments.create")
    if not (body or "").strip():
        raise ValidationFailed({"body": "Write something first."})
    if (experiment is None) == (hypothesis is None):
        raise ValidationFailed({"target": "Comment on one experiment or one hypothesis."})
    return Comment.objects.create(
        author=actor, body=body.strip(), experiment=experiment, hypothesis=hypothesis
    )


def segment_create(*, actor, **fields) -> Segment:
    """A new segment (or sub-segment, with ``parent``), active from today: the CMO's launch."""
    require(actor, "segments.manage")
    parent = fields.get("parent")
    if parent is not None and parent.status == Segment.Status.SUNSET:
        raise ValidationFailed({"parent": f"“{parent.name}” has been sunset."})
    segment = Segment(status=Segment.Status.ACTIVE, launched_on=timezone.localdate(), **fields)
    _full_clean(segment)
    segment.save()
    return segment


# --- templates (protocols): the CMO's and the operators' -------------------------------

TEMPLATE_FIELDS = (
    "name",
    "kind",
    "description",
    "primary_metric",
    *DESIGN_MANY_TO_MANY_FIELDS,
    "method",
    "correction",
    "sequential_tau",
    "alpha",
    "power",
    "mde",
    "min_run_weeks",
    "decision_rule",
    "locked_fields",
)


def template_create(*, actor, **fields) -> ExperimentTemplate:
    """A new template (docs/decisions.md, "Templates"), written by ``actor``."""
    require(actor, "templates.manage")
    with transaction.atomic():
        return _template_save(ExperimentTemplate(created_by=actor), fields)


def template_update(*, template_id: int, actor, **fields) -> ExperimentTemplate:
    """Change a template; designs already made from it keep what they copied."""
    require(actor, "templates.manage")
    with transaction.atomic():
        template = ExperimentTemplate.objects.select_for_update().get(pk=template_id)
        return _template_save(template, fields)


def _template_save(template: ExperimentTemplate, fields: dict) -> ExperimentTemplate:
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise ValidationFailed({name: "Not a template field." for name in sorted(unknown)})
    if "locked_fields" in fields:
        problems = locked_fields_problems(fields["locked_fields"])
        if problems:
            raise ValidationFailed(problems)
        fields["locked_fields"] = sorted(set(fields["locked_fields"]))
    if "decision_rule" in fields:
        fields["decision_rule"] = normalized_rule(fields["decision_rule"])
    related = {name: fields.pop(name) for name in DESIGN_MANY_TO_MANY_FIELDS if name in fields}
    for name, value in fields.items():
        setattr(template, name, value)
    _full_clean(template)
    template.save()
    for name, metrics in related.items():
        getattr(template, name).set(metrics)
    return template
