"""Streams (holistic testing; docs/streams.md): each test of an idea and its iterations in
order, with its lift and verdict, the current champion, the cumulative shrunk impact, and the
suggested next test.

Which hypotheses form a stream is ``experiments/streams.py``. Here the stream is valued the way
the ledger values the programme: each shipped test's lift shrunk for the winner's curse
(``programme/portfolio/shrinkage.py``) and turned into annual value
(``programme/portfolio/impact.py``). A scaled champion suggests the sibling segments to repeat
it in, ranked by the capacity planner's value per person of traffic
(``programme/insights/capacity.py::value_per_person``).

A page of streams costs a fixed number of queries, whatever their size.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from analytics.stats.verdict import ArmLook, MetricLook, Verdict
from experiments.decisions import experiment_reading, latest_looks
from experiments.design import design_for, segment_daily_reach
from experiments.models import (
    DECIDED,
    IN_FLIGHT,
    NOT_STARTED,
    Decision,
    Experiment,
    ExperimentStatus,
    Hypothesis,
    Metric,
    Objective,
    Segment,
)
from experiments.selectors import experiment_list_for_user, hypothesis_list_for_user
from experiments.stages import with_stage
from experiments.streams import stream_members, stream_parents, stream_roots

from .insights.capacity import value_per_person
from .portfolio.impact import PRIOR_WIN_RATE, ImpactModel, as_float, forecast_impact
from .portfolio.selectors import stored_win_probabilities
from .portfolio.shrinkage import ProgrammeShrinkage, programme_shrinkage

S = ExperimentStatus
# How many sibling segments a champion suggests at most.
SIBLINGS_SHOWN = 5


@dataclass(frozen=True)
class StreamTest:
    """One test of the stream: its lift at the latest look (the best treatment on the primary
    metric, as measured, with its interval), the improvement shrunk for the winner's curse once
    concluded, its verdict once started, and the annual value of the shrunk lift if shipped."""

    experiment: Experiment
    position: int
    lift: float | None = None
    lift_low: float | None = None
    lift_high: float | None = None
    shrunk: float | None = None
    verdict: Verdict | None = None
    impact_shrunk: float | None = None
    champion: bool = False

    @property
    def stopped_undecided(self) -> bool:
        """No longer running, and the rule never got to decide."""
        live = (S.RUNNING, S.PAUSED)
        return (
            self.verdict is not None
            and self.verdict.action == "keep_running"
            and self.experiment.status not in live
        )

    @property
    def shipped(self) -> bool:
        return self.experiment.is_shipped


@dataclass(frozen=True)
class SiblingSegment:
    """A segment beside the champion's where it could run again, and what that is worth."""

    segment: Segment
    daily_reach: float
    sample: int | None
    days: int | None
    forecast: float | None
    value_per_person: float | None


@dataclass(frozen=True)
class NextTest:
    """What the stream should test next, in a sentence, with what it points to."""

    kind: str  # finish | design | repeat | iterate | reopen | first
    text: str
    hypothesis: Hypothesis | None = None
    experiment: Experiment | None = None


@dataclass(frozen=True)
class ObjectiveImpact:
    """The shipped tests' shrunk impact a year on one objective, in its unit."""

    objective: Objective
    impact: float


@dataclass
class Stream:
    root: Hypothesis
    hypotheses: list[Hypothesis]
    tests: list[StreamTest]
    champion: StreamTest | None
    # Σ over the shipped tests with a valued lift, per objective (each in its own unit).
    cumulative_impact_shrunk: list[ObjectiveImpact]
    shipped_without_value: int  # shipped tests whose lift or impact model is missing
    next_test: NextTest
    siblings: list[SiblingSegment] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.root.pk


def stream_root_ids() -> list[int]:
    """Every stream's root, newest first (one query)."""
    return stream_roots(stream_parents())


def streams_for(root_ids, *, user, detail: bool = False) -> list[Stream]:
    """The streams whose roots are ``root_ids`` (in that order), as ``user`` may see them;
    ``detail`` adds each started test's verdict and the champion's sibling segments."""
    parents = stream_parents()
    members = {root: stream_members(root, parents) for root in root_ids}
    everyone = [pk for ids in members.values() for pk in ids]
    hypotheses = {
        h.pk: h
        for h in with_stage(
            hypothesis_list_for_user(user=user).filter(pk__in=everyone)
        ).select_related("segment")
    }
    experiments = _experiments(everyone, user=user)
    shrinkage = programme_shrinkage()
    looks = latest_looks([e for e in experiments if e.status not in NOT_STARTED])
    streams = []
    for root in root_ids:
        if root not in hypotheses:
            continue
        ordered = [hypotheses[pk] for pk in members[root] if pk in hypotheses]
        ids = {h.pk for h in ordered}
        own = [e for e in experiments if e.hypothesis_id in ids]
        tests = _tests(own, shrinkage, looks, detail=detail)
        streams.append(_stream(ordered, tests, detail=detail))
    return streams


def stream_detail(root_id: int, *, user) -> Stream | None:
    """One stream with its verdicts and sibling segments; None when ``root_id`` is not the
    root of a stream the user may see."""
    parents = stream_parents()
    if root_id in parents or root_id not in set(parents.values()):
        return None
    found = streams_for([root_id], user=user, detail=True)
    return found[0] if found else None


def _experiments(hypothesis_ids, *, user) -> list[Experiment]:
    rows = (
        experiment_list_for_user(user=user)
        .filter(hypothesis_id__in=hypothesis_ids)
        .select_related("hypothesis__metric", "hypothesis__objective", "segment__parent")
        .prefetch_related(
            "variants", Prefetch("guardrail_metrics", queryset=Metric.objects.order_by("pk"))
        )
    )
    return sorted(rows, key=_in_order)


def _in_order(experiment: Experiment) -> tuple:
    """Tests in the order they ran: by start date, those not started after, then by creation."""
    start = experiment.start_date
    return (start is None, start.toordinal() if start else 0, experiment.created_at, experiment.pk)


def _tests(experiments, shrinkage: ProgrammeShrinkage, looks, *, detail: bool) -> list[StreamTest]:
    shipped = [e for e in experiments if e.is_shipped]
    champion = shipped[-1].pk if shipped else None
    tests = []
    for position, experiment in enumerate(experiments, start=1):
        look = looks.get(experiment.pk)
        best = _best_arm(look.metrics.get(experiment.deciding_metric_id) if look else None)
        counted = shrinkage.lifts.get(experiment.pk)
        shrunk = counted.shrunk if counted is not None else None
        impact = None
        if experiment in shipped and shrunk is not None:
            impact = ImpactModel.for_experiment(experiment).annual_value(shrunk)
        verdict = None
        if detail and experiment.status not in NOT_STARTED:
            verdict = experiment_reading(experiment, look).verdict
        tests.append(
            StreamTest(
                experiment=experiment,
                position=position,
                lift=best.lift if best else None,
                lift_low=best.lift_ci_low if best else None,
                lift_high=best.lift_ci_high if best else None,
                shrunk=shrunk,
                verdict=verdict,
                impact_shrunk=impact,
                champion=experiment.pk == champion,
            )
        )
    return tests


def _best_arm(metric: MetricLook | None) -> ArmLook | None:
    """The treatment doing best for the metric's direction."""
    arms = [arm for arm in (metric.arms if metric else ()) if arm.lift is not None]
    if not arms:
        return None
    sign = 1 if metric.higher_is_better else -1
    return max(arms, key=lambda arm: sign * arm.lift)


def _stream(hypotheses: list[Hypothesis], tests: list[StreamTest], *, detail: bool) -> Stream:
    champion = next((t for t in tests if t.champion), None)
    shipped = [t for t in tests if t.shipped]
    valued = [t for t in shipped if t.impact_shrunk is not None]
    sums: dict[int, float] = {}
    objectives = {}
    for t in valued:
        objective = t.experiment.objective or t.experiment.hypothesis.objective
        objectives[objective.pk] = objective
        sums[objective.pk] = sums.get(objective.pk, 0.0) + t.impact_shrunk
    siblings = _siblings(champion, tests) if detail and champion is not None else []
    return Stream(
        root=hypotheses[0],
        hypotheses=hypotheses,
        tests=tests,
        champion=champion,
        cumulative_impact_shrunk=[ObjectiveImpact(objectives[pk], sums[pk]) for pk in sorted(sums)],
        shipped_without_value=len(shipped) - len(valued),
        next_test=next_test(hypotheses, tests, has_siblings=bool(siblings)),
        siblings=siblings,
    )


def next_test(hypotheses: list[Hypothesis], tests: list[StreamTest], *, has_siblings: bool):
    """The stream's next step (docs/streams.md, "The next test"): first match wins."""
    live = [
        t.experiment for t in tests if t.experiment.status in (S.DRAFT, *IN_FLIGHT, S.COMPLETED)
    ]
    if live:
        e = live[-1]
        return NextTest(
            "finish", f"Finish “{e.name}” first: it is {e.get_status_display().lower()}.", None, e
        )
    tested = {t.experiment.hypothesis_id for t in tests}
    open_ideas = [
        h
        for h in hypotheses
        if h.pk not in tested and h.status in (Hypothesis.Status.NEW, Hypothesis.Status.BACKLOG)
    ]
    if open_ideas:
        h = open_ideas[-1]
        first = "Triage and design" if h.status == Hypothesis.Status.NEW else "Design"
        return NextTest("design", f"{first} a test of the follow-up “{h.title}”.", h)
    decided = [t for t in tests if t.experiment.status in DECIDED]
    if not decided:
        root = hypotheses[0]
        return NextTest("first", f"Design the first test of “{root.title}”.", root)
    last = decided[-1].experiment
    if decided[-1].shipped:
        where = (
            "repeat it in a sibling segment (below), or "
            if has_siblings
            else "no sibling segment is left to repeat it in: "
        )
        return NextTest(
            "repeat",
            f"“{last.name}” is the champion: {where}log a hypothesis that builds on it.",
            last.hypothesis,
            last,
        )
    follow_ups = [h for h in hypotheses if h.iterates_on_experiment_id == last.pk]
    if last.status == S.CONCLUDED and last.decision == Decision.ITERATE:
        if not follow_ups:
            return NextTest(
                "iterate", f"Log the follow-up of “{last.name}”, as decided.", last.hypothesis, last
            )
        how = f"was to be iterated on, and its follow-up “{follow_ups[-1].title}” was rejected"
    else:
        how = "was killed" if last.status == S.KILLED else "was abandoned"
    return NextTest(
        "reopen",
        f"The stream rests: “{last.name}” {how}. A new hypothesis building on what it taught "
        "would reopen it.",
        last.hypothesis,
        last,
    )


def _siblings(champion: StreamTest, tests: list[StreamTest]) -> list[SiblingSegment]:
    """The active segments beside the champion's (same parent) not tested in this stream yet,
    by value per person of traffic, highest first."""
    e = champion.experiment
    if e.segment is None:
        return []
    tested = {t.experiment.segment_id for t in tests}
    candidates = Segment.objects.filter(
        parent_id=e.segment.parent_id, status=Segment.Status.ACTIVE
    ).exclude(pk__in=tested)
    metric = e.deciding_metric
    lift = champion.shrunk if champion.shrunk is not None and champion.shrunk > 0 else e.mde
    p_win_by_team = stored_win_probabilities()
    weights = [v.weight for v in e.variants.all()]
    found = []
    for segment in candidates:
        reach = segment_daily_reach(segment)
        design = design_for(
            metric_kind=metric.kind,
            baseline=e.baseline,
            mde=lift,
            baseline_sd=e.baseline_sd,
            alpha=e.alpha,
            power=e.power,
            daily_traffic=max(1, round(reach)),
            weights=weights,
        )
        model = ImpactModel(
            reach_per_year=segment.monthly_reach * 12,
            baseline=e.baseline,
            value_per_conversion=as_float(e.value_per_conversion),
            metric_kind=metric.kind,
            higher_is_better=metric.higher_is_better,
        )
        p_win = p_win_by_team.get(segment.owner_team_id, PRIOR_WIN_RATE)
        forecast = forecast_impact(model, p_win=p_win, expected_lift=lift)
        sample = design.total_sample_size if design else None
        found.append(
            SiblingSegment(
                segment=segment,
                daily_reach=round(reach, 1),
                sample=sample,
                days=design.duration_days if design else None,
                forecast=forecast,
                value_per_person=value_per_person(forecast, sample),
            )
        )
    found.sort(
        key=lambda s: (s.value_per_person is None, -(s.value_per_person or 0), s.segment.name)
    )
    return found[:SIBLINGS_SHOWN]
