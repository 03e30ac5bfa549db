"""Loading the demo organisation, its history first, as it happened."""

import random

from django.db import transaction
from django.utils import timezone

from analytics.analysis.alerts import raise_decision_overdue_alerts, raise_overdue_alerts
from experiments.models import Experiment, Hypothesis, Metric, Objective, Segment
from programme.freshness import programme_refresh_deferred
from programme.portfolio.backfill import portfolio_backfill
from programme.portfolio.rechecks import ship_rechecks_run
from programme.portfolio.rollup import portfolio_rollup_run
from roles.models import User

from .ideas import retime_ideas, seed_backlog_activity, seed_ideas, testable
from .measured import seed_measured
from .organisation import demo_is_loaded, seed_organisation
from .past import seed_past_year, seed_queued_designs
from .postmortems import seed_postmortems
from .programme import run_programme, seed_programme
from .record import seed_record
from .warehouse import warehouse_open

BACKFILL_DAYS = 365


def seed_demo(*, out=print) -> bool:
    """Load the demo organisation into an empty database; False if it was already there."""
    if demo_is_loaded():
        return False
    # Its thousands of steps would each queue the programme's recompute: it runs it once, below.
    with programme_refresh_deferred(then_queue=False), transaction.atomic():
        rng = random.Random(20261123)
        org = seed_organisation(rng)
        # Every experiment's data comes from the demo warehouse, its metrics defined first
        # (demo/warehouse.py).
        deliver, warehouse = warehouse_open(org)
        ideas = seed_ideas(org, rng)
        # The past first: the operators' capacity then holds only what they ran at the time.
        record = seed_record(org, deliver)
        out(f"Recorded {len(record)} concluded experiments from the programme's history.")
        history_rng = random.Random(2025)
        past = seed_past_year(org, history_rng, deliver)
        now = timezone.now()
        experiments = seed_programme(org, testable(ideas), rng, now=now)
        seed_backlog_activity(org, ideas, experiments, rng)
        written = run_programme(org, experiments, random.Random(42), now=now, deliver=deliver)
        out(f"Read {written} daily observations of this year's experiments.")
        queued = seed_queued_designs(org)
        # The waits of this year's ideas; the past's were dated as they were lived.
        lived = [e.hypothesis_id for e in (*record, *past)]
        retime_ideas(
            Hypothesis.objects.exclude(pk__in=lived)
            .exclude(iterates_on_experiment__in=record)
            .values_list("pk", flat=True),
            history_rng,
        )
        # The daily and nightly tasks' work, as they would have done it by now.
        postmortems = seed_postmortems(org, random.Random(19), now=now)
        rechecks = ship_rechecks_run()
        overdue = raise_decision_overdue_alerts() + raise_overdue_alerts()
        rollup = portfolio_rollup_run()
        measured = seed_measured(org, random.Random(365))
        # A year of nightly rows before today's, so every objective's chart shows its trend.
        backfill = portfolio_backfill(days=BACKFILL_DAYS)
    out(
        f"Loaded {User.objects.count()} users, {Objective.objects.count()} objectives, "
        f"{Segment.objects.count()} segments, {Metric.objects.count()} metrics, "
        f"{Hypothesis.objects.count()} hypotheses, {Experiment.objects.count()} experiments "
        f"({len(past)} decided in the past year, {len(queued)} queued designs); "
        f"{rechecks['written']} post-ship re-checks, {overdue} overdue alerts; "
        f"{postmortems['written']} post-mortems written, {postmortems['drafts']} in draft."
    )
    out(
        f"Rolled up the portfolio: {rollup['rows']} slices today, the programme and each "
        f"objective for the {backfill['days']} days before."
    )
    out(
        f"Measured {measured['measured_days']} days of the objectives' KPIs; a programme "
        f"holdout with {measured['holdout_rows']} daily rows."
    )
    if warehouse is None:
        out("Demo warehouse: none (its path cannot be named by a source); data uploaded.")
    else:
        out(
            f"Demo warehouse: {len(warehouse.refreshed)} experiments refreshed from "
            f"{warehouse.path}"
        )
    return True
