"""Where an idea went: a hypothesis's stage, derived from its experiments (docs/decisions.md,
"Where an idea went").

One rule, one place: :data:`STAGE_RULE` lists the stages in the order they are tried; the
first whose condition holds is the hypothesis's stage. :func:`with_stage` puts it in SQL as the
column ``stage`` (the API, the hypothesis page, the backlog list and board and "My ideas" all
read it), so a page of hypotheses costs no query per row.

| Stage | When |
|---|---|
| in test | an experiment is approved, running, paused or completed (awaiting the decision) |
| in review | else, an experiment is in review |
| in design | else, an experiment is a draft |
| abandoned | else, the idea was rejected at triage, or its latest concluded test ended inconclusive and was abandoned |
| won / lost / inconclusive | else, the outcome of its latest concluded test |
| awaiting triage | else, it is new: nobody has triaged it into the backlog yet |
| in backlog | else: in the backlog, or its only tests were killed (a killed test returns the idea to the backlog) |

"Latest" is the concluded test with the newest end date (then the highest id). An undecided
test comes first: an idea being tested again is where that test is, whatever an earlier one
found.
"""

from django.db.models import Case, CharField, Exists, OuterRef, Q, QuerySet, Subquery, Value, When

from .models import Decision, Experiment, ExperimentStatus, Hypothesis, Outcome

S = ExperimentStatus


class Stage:
    """The stages, in the order an idea moves through them; each a (value, label) pair."""

    AWAITING_TRIAGE = "awaiting_triage"
    IN_BACKLOG = "in_backlog"
    IN_DESIGN = "in_design"
    IN_REVIEW = "in_review"
    IN_TEST = "in_test"
    WON = "won"
    LOST = "lost"
    INCONCLUSIVE = "inconclusive"
    ABANDONED = "abandoned"

    choices = [
        (AWAITING_TRIAGE, "Awaiting triage"),
        (IN_BACKLOG, "In backlog"),
        (IN_DESIGN, "In design"),
        (IN_REVIEW, "In review"),
        (IN_TEST, "In test"),
        (WON, "Won"),
        (LOST, "Lost"),
        (INCONCLUSIVE, "Inconclusive"),
        (ABANDONED, "Abandoned"),
    ]
    values = [value for value, _ in choices]
    labels = dict(choices)


# Statuses of an undecided test, by the stage they put the idea in.
TESTING = (S.APPROVED, S.RUNNING, S.PAUSED, S.COMPLETED)


def _has_test(statuses) -> Exists:
    return Exists(
        Experiment.objects.filter(hypothesis_id=OuterRef("pk"), status__in=list(statuses))
    )


def _latest_concluded(field: str) -> Subquery:
    latest = Experiment.objects.filter(hypothesis_id=OuterRef("pk"), status=S.CONCLUDED).order_by(
        "-end_date", "-pk"
    )
    return Subquery(latest.values(field)[:1])


def _stage_rule() -> list[tuple[str, Q]]:
    """The rule, first match wins (the module's table); conditions on the columns that
    :func:`with_stage` adds."""
    return [
        (Stage.IN_TEST, Q(_stage_testing=True)),
        (Stage.IN_REVIEW, Q(_stage_reviewing=True)),
        (Stage.IN_DESIGN, Q(_stage_designing=True)),
        (Stage.ABANDONED, Q(status=Hypothesis.Status.REJECTED)),
        (
            Stage.ABANDONED,
            Q(_stage_outcome=Outcome.INCONCLUSIVE, _stage_decision=Decision.ABANDON),
        ),
        (Stage.WON, Q(_stage_outcome=Outcome.WON)),
        (Stage.LOST, Q(_stage_outcome=Outcome.LOST)),
        (Stage.INCONCLUSIVE, Q(_stage_outcome=Outcome.INCONCLUSIVE)),
        (Stage.AWAITING_TRIAGE, Q(status=Hypothesis.Status.NEW)),
    ]


def with_stage(hypotheses: QuerySet) -> QuerySet:
    """``hypotheses`` with the column ``stage`` (one of :class:`Stage`), in the same query."""
    return hypotheses.annotate(
        _stage_testing=_has_test(TESTING),
        _stage_reviewing=_has_test([S.IN_REVIEW]),
        _stage_designing=_has_test([S.DRAFT]),
        _stage_outcome=_latest_concluded("outcome"),
        _stage_decision=_latest_concluded("decision"),
    ).annotate(
        stage=Case(
            *(When(condition, then=Value(stage)) for stage, condition in _stage_rule()),
            default=Value(Stage.IN_BACKLOG),
            output_field=CharField(),
        )
    )


def stage_of(hypothesis: Hypothesis) -> str:
    """The stage of one hypothesis: the column when it was read with it, else one query."""
    stage = getattr(hypothesis, "stage", None)
    if stage is None:
        stage = (
            with_stage(Hypothesis.objects.filter(pk=hypothesis.pk))
            .values_list("stage", flat=True)
            .first()
        )
    return stage or Stage.IN_BACKLOG


def stage_label(stage: str) -> str:
    return Stage.labels.get(stage, "")
