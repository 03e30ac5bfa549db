"""events_rollup_run: first-exposure cohorts by day, incremental, idempotent, concurrent-safe."""

import datetime as dt
import random
import threading
from collections import defaultdict

import pytest
from django.db import connection, connections, transaction

from analytics.ingest.events import events_ingest
from analytics.ingest.rollup import events_rollup_run
from analytics.models import AnalysisState, Assignment, Event, Observation, RollupWatermark
from experiments.models import Metric
from tests.analytics.helpers import START
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, MetricFactory

D1, D2, D3 = dt.date(2026, 11, 2), dt.date(2026, 11, 3), dt.date(2026, 11, 4)


def make_experiment(owner, key="pricing-page"):
    signups = MetricFactory(key="signups", kind=Metric.Kind.BINOMIAL)
    revenue = MetricFactory(key="revenue", kind=Metric.Kind.MEAN)
    unsubscribes = MetricFactory(key="unsubscribes", kind=Metric.Kind.BINOMIAL)
    experiment = ExperimentFactory(key=key, owner=owner, primary_metric=signups)
    experiment.secondary_metrics.add(revenue)
    experiment.guardrail_metrics.add(unsubscribes)
    return put_in_status(experiment, "running", start_date=START)


def exposure(user, variant, when, experiment="pricing-page"):
    return {"experiment": experiment, "variant": variant, "user_id": user, "kind": "exposure",
            "timestamp": when}  # fmt: skip


def conversion(user, variant, metric, when, value=None, experiment="pricing-page"):
    event = {"experiment": experiment, "variant": variant, "user_id": user, "kind": "conversion",
             "metric": metric, "timestamp": when}  # fmt: skip
    if value is not None:
        event["value"] = value
    return event


# The hand-computed data set. Cohorts (UTC exposure day):
#   control D1: u1 (signed up; revenue 10 + 5 = 15), u7 (exposed 00:30+02:00 = D1 22:30 UTC)
#   b       D1: u2 (first exposed in b, later in control; sign-up and 7 revenue BEFORE exposure
#               ignored; revenue 4 after), u3 (signed up after midnight; revenue 2 + 3 = 5)
#   control D2: u4 (nothing)
#   b       D2: u6 (signed up at the very moment of exposure: counts)
#   u5 converts but is never exposed: ignored.
HAND_EVENTS = [
    exposure("u1", "control", "2026-11-02T10:00:00Z"),
    conversion("u1", "control", "signups", "2026-11-02T11:00:00Z"),
    conversion("u1", "control", "revenue", "2026-11-02T12:00:00Z", 10),
    conversion("u1", "control", "revenue", "2026-11-03T09:00:00Z", 5),
    conversion("u2", "b", "signups", "2026-11-02T08:00:00Z"),
    conversion("u2", "b", "revenue", "2026-11-02T08:30:00Z", 7),
    exposure("u2", "b", "2026-11-02T09:00:00Z"),
    exposure("u2", "control", "2026-11-02T10:00:00Z"),
    conversion("u2", "b", "revenue", "2026-11-03T10:00:00Z", 4),
    exposure("u3", "b", "2026-11-02T23:00:00Z"),
    conversion("u3", "b", "signups", "2026-11-03T01:00:00Z"),
    conversion("u3", "b", "revenue", "2026-11-03T01:00:00Z", 2),
    conversion("u3", "b", "revenue", "2026-11-03T02:00:00Z", 3.0),
    exposure("u4", "control", "2026-11-03T10:00:00Z"),
    conversion("u5", "b", "signups", "2026-11-02T10:00:00Z"),
    exposure("u6", "b", "2026-11-03T12:00:00Z"),
    conversion("u6", "b", "signups", "2026-11-03T12:00:00Z"),
    exposure("u7", "control", "2026-11-03T00:30:00+02:00"),
]

# (variant, metric, day) -> (users, conversions, sum, sum_squares)
HAND_EXPECTED = {
    ("control", "signups", D1): (2, 1, None, None),
    ("control", "revenue", D1): (2, None, 15.0, 225.0),
    ("control", "unsubscribes", D1): (2, 0, None, None),
    ("b", "signups", D1): (2, 1, None, None),
    ("b", "revenue", D1): (2, None, 9.0, 41.0),
    ("b", "unsubscribes", D1): (2, 0, None, None),
    ("control", "signups", D2): (1, 0, None, None),
    ("control", "revenue", D2): (1, None, 0.0, 0.0),
    ("control", "unsubscribes", D2): (1, 0, None, None),
    ("b", "signups", D2): (1, 1, None, None),
    ("b", "revenue", D2): (1, None, 0.0, 0.0),
    ("b", "unsubscribes", D2): (1, 0, None, None),
}


def observations(experiment=None):
    rows = Observation.objects.select_related("variant", "metric")
    if experiment is not None:
        rows = rows.filter(experiment=experiment)
    return {
        (o.variant.key, o.metric.key, o.date): (o.users, o.conversions, o.sum, o.sum_squares)
        for o in rows
    }


def watermark():
    return RollupWatermark.objects.get(name="events").last_event_id


@pytest.mark.django_db
class TestHandComputed:
    @pytest.fixture
    def experiment(self, operator, analyst):
        experiment = make_experiment(operator)
        events_ingest(actor=analyst, events=HAND_EVENTS)
        return experiment

    def test_it_rolls_events_up_into_cohort_observations(self, experiment):
        counts = events_rollup_run()

        assert observations() == HAND_EXPECTED
        assert counts == {
            "events": len(HAND_EVENTS),
            "observations": 12,
            "experiments": 1,
            "watermark": Event.objects.latest("id").id,
        }
        assert set(Observation.objects.values_list("source", flat=True)) == {"events"}
        assignments = dict(Assignment.objects.values_list("user_id", "variant__key"))
        assert assignments == {
            "u1": "control", "u2": "b", "u3": "b", "u4": "control", "u6": "b", "u7": "control"
        }  # fmt: skip

    def test_running_it_twice_changes_nothing(self, experiment):
        events_rollup_run()
        mark = watermark()

        counts = events_rollup_run()

        assert counts == {"events": 0, "observations": 0, "experiments": 0, "watermark": mark}
        assert watermark() == mark
        assert observations() == HAND_EXPECTED

    def test_late_conversions_update_their_old_cohort_only(self, experiment, analyst):
        events_rollup_run()
        before = {o.pk: o.updated_at for o in Observation.objects.all()}

        events_ingest(
            actor=analyst,
            events=[conversion("u1", "control", "revenue", "2026-11-04T09:00:00Z", 5)],
        )
        counts = events_rollup_run()

        expected = dict(HAND_EXPECTED)
        expected[("control", "revenue", D1)] = (2, None, 20.0, 400.0)
        assert observations() == expected
        assert counts["events"] == 1 and counts["observations"] == 6  # the D1 cohort only
        untouched = Observation.objects.filter(date=D2)
        assert all(o.updated_at == before[o.pk] for o in untouched)

    def test_a_late_earlier_exposure_moves_the_user_and_empties_the_old_cohort(
        self, experiment, analyst
    ):
        events_rollup_run()

        events_ingest(actor=analyst, events=[exposure("u4", "b", "2026-11-02T08:00:00Z")])
        events_rollup_run()

        expected = {k: v for k, v in HAND_EXPECTED.items() if k[0] != "control" or k[2] != D2}
        expected[("b", "signups", D1)] = (3, 1, None, None)
        expected[("b", "revenue", D1)] = (3, None, 9.0, 41.0)
        expected[("b", "unsubscribes", D1)] = (3, 0, None, None)
        assert observations() == expected
        assert Assignment.objects.get(user_id="u4").variant.key == "b"

    def test_a_later_exposure_changes_nothing(self, experiment, analyst):
        events_rollup_run()

        events_ingest(actor=analyst, events=[exposure("u1", "b", "2026-11-04T08:00:00Z")])
        counts = events_rollup_run()

        assert counts["events"] == 1
        assert observations() == HAND_EXPECTED

    def test_an_exposure_arriving_after_its_conversions_counts_them(self, experiment, analyst):
        events_rollup_run()

        events_ingest(actor=analyst, events=[exposure("u5", "b", "2026-11-02T09:00:00Z")])
        events_rollup_run()

        assert observations()[("b", "signups", D1)] == (3, 2, None, None)

    def test_it_marks_affected_experiments_stale(self, experiment, operator, analyst):
        quiet = make_experiment(operator, key="quiet")
        AnalysisState.objects.create(experiment=quiet)

        events_rollup_run()

        state = AnalysisState.objects.get(experiment=experiment)
        assert state.stale and state.data_version == 1
        assert not AnalysisState.objects.get(experiment=quiet).stale

    def test_it_reports_progress(self, experiment):
        seen = []

        events_rollup_run(progress=lambda done, total: seen.append((done, total)))

        assert seen[-1][0] == seen[-1][1]
        assert [d for d, _ in seen] == sorted(d for d, _ in seen)

    def test_the_celery_task_runs_it(self, experiment):
        from analytics.tasks import events_rollup

        result = events_rollup.delay()

        assert result.get()["events"] == len(HAND_EVENTS)
        assert observations() == HAND_EXPECTED


@pytest.mark.django_db
def test_nothing_to_do_on_an_empty_table():
    assert events_rollup_run() == {"events": 0, "observations": 0, "experiments": 0, "watermark": 0}


# --- incremental equals one shot, against a reference computed here in Python -------------------


def random_events(seed, n_users=60):
    rng = random.Random(seed)
    start = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    events = []
    for u in range(n_users):
        user = f"user{u}"
        for _ in range(rng.choice([0, 1, 1, 2])):
            when = start + dt.timedelta(minutes=rng.randrange(3 * 24 * 60))
            events.append(exposure(user, rng.choice(["control", "b"]), when.isoformat()))
        for _ in range(rng.choice([0, 0, 1, 3])):
            when = start + dt.timedelta(minutes=rng.randrange(4 * 24 * 60))
            metric = rng.choice(["signups", "revenue", "unsubscribes"])
            value = rng.choice([0.5, 1.0, 2.25, 10.0]) if metric == "revenue" else None
            events.append(conversion(user, "b", metric, when.isoformat(), value))
    rng.shuffle(events)
    return events


def reference(events):
    """The roll-up's definition, computed naively."""
    first = {}
    for e in events:
        if e["kind"] == "exposure":
            when = dt.datetime.fromisoformat(e["timestamp"]).astimezone(dt.UTC)
            if e["user_id"] not in first or when < first[e["user_id"]][1]:
                first[e["user_id"]] = (e["variant"], when)
    totals = defaultdict(float)
    converted = set()
    for e in events:
        if e["kind"] == "conversion" and e["user_id"] in first:
            if dt.datetime.fromisoformat(e["timestamp"]) >= first[e["user_id"]][1]:
                converted.add((e["user_id"], e["metric"]))
                totals[(e["user_id"], e["metric"])] += e.get("value") or 0.0
    expected = {}
    for variant in ("control", "b"):
        for day in {w.date() for _, w in first.values()}:
            users = [u for u, (v, w) in first.items() if v == variant and w.date() == day]
            if not users:
                continue
            for metric in ("signups", "unsubscribes"):
                hits = sum((u, metric) in converted for u in users)
                expected[(variant, metric, day)] = (len(users), hits, None, None)
            per_user = [totals[(u, "revenue")] for u in users]
            expected[(variant, "revenue", day)] = (
                len(users), None, sum(per_user), sum(t * t for t in per_user)
            )  # fmt: skip
    return expected


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_runs_equal_the_definition(operator, analyst, seed):
    make_experiment(operator)
    events = random_events(seed)
    cuts = sorted(random.Random(seed).sample(range(1, len(events)), 3))

    for lo, hi in zip([0, *cuts], [*cuts, len(events)], strict=True):
        events_ingest(actor=analyst, events=events[lo:hi])
        events_rollup_run()

    # Values are binary fractions, so the sums are exact and can be compared with ==.
    assert observations() == reference(events)


@pytest.mark.django_db
def test_a_full_rebuild_gives_the_same_observations(operator, analyst):
    make_experiment(operator)
    events = random_events(7)
    for start in range(0, len(events), 25):
        events_ingest(actor=analyst, events=events[start : start + 25])
        events_rollup_run()
    incremental = observations()

    Observation.objects.all().delete()
    Assignment.objects.all().delete()
    RollupWatermark.objects.update(last_event_id=0)
    events_rollup_run()

    assert observations() == incremental == reference(events)


# --- PostgreSQL: concurrency ---------------------------------------------------------------------


def _in_thread(target, results, *args):
    def run():
        try:
            results.append(target(*args))
        except Exception as exc:  # surfaced by the test
            results.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_give_the_same_observations_as_one(operator, analyst):
    make_experiment(operator)
    events_ingest(actor=analyst, events=HAND_EVENTS + random_events(11))
    start = threading.Barrier(2)
    results = []

    def run():
        start.wait()
        return events_rollup_run()

    threads = [_in_thread(run, results) for _ in range(2)]
    for thread in threads:
        thread.join(30)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r["events"] for r in results) == [0, Event.objects.count()]
    assert Observation.objects.count() == len(observations())  # no duplicates
    assert observations() == reference(HAND_EVENTS + random_events(11))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_roll_up_waits_for_an_ingest_in_flight(operator, analyst):
    """Ids come from a sequence but commit in any order: the watermark must not skip one."""
    make_experiment(operator)
    events_ingest(actor=analyst, events=HAND_EVENTS[:3])
    holding, release = threading.Event(), threading.Event()
    results = []

    def slow_ingest():
        with transaction.atomic():
            events_ingest(actor=analyst, events=HAND_EVENTS[3:])
            holding.set()
            release.wait(10)
        return "committed"

    ingest = _in_thread(slow_ingest, results)
    assert holding.wait(10)
    rollup = _in_thread(events_rollup_run, results)
    rollup.join(1.0)
    assert rollup.is_alive(), "the roll-up must wait for the ingest in flight"

    release.set()
    ingest.join(10)
    rollup.join(30)

    assert results[0] == "committed"
    assert results[1]["events"] == len(HAND_EVENTS)
    assert observations() == HAND_EXPECTED
    assert connection.vendor == "postgresql"


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_run_that_grows_the_assignments_refreshes_their_statistics(operator, analyst):
    make_experiment(operator)

    def users(first, count):
        return [
            exposure(f"s{i}", "control" if i % 2 else "b", "2026-11-02T10:00:00Z")
            for i in range(first, first + count)
        ]

    def planner_rows():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = 'analytics_assignment'::regclass"
            )
            return cursor.fetchone()[0]

    events_ingest(actor=analyst, events=users(0, 3_000))
    events_rollup_run()
    assert planner_rows() == 3_000  # the planner knows the table is no longer empty

    events_ingest(actor=analyst, events=users(3_000, 200))  # a small increment: no ANALYZE
    events_rollup_run()
    assert Assignment.objects.count() == 3_200
    assert planner_rows() == 3_000


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_run_that_grows_the_observations_refreshes_their_statistics(operator, analyst):
    """Unanalysed, the planner took the observations for empty and the next run compared every
    affected observation with every fresh row to find emptied cohorts (quadratic)."""
    experiments = [make_experiment(operator, key=f"exp-{n}") for n in range(200)]

    def planner_rows():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = 'analytics_observation'::regclass"
            )
            return cursor.fetchone()[0]

    def batch(day_count, user):
        return [
            exposure(f"{user}{day}-{n}", variant, f"2026-11-0{2 + day}T10:00:00Z", experiment=e.key)
            for e in experiments
            for day in range(day_count)
            for n, variant in enumerate(("control", "b"))
        ]

    events_ingest(actor=analyst, events=batch(2, "u"))  # 200 × 2 days × 2 variants × 3 metrics
    events_rollup_run()
    assert Observation.objects.count() == 2_400
    assert planner_rows() == 2_400  # the planner knows the table is no longer empty

    events_ingest(actor=analyst, events=batch(1, "v"))  # the same cohorts: updates, no growth
    events_rollup_run()
    assert Observation.objects.count() == 2_400
    assert planner_rows() == 2_400


@pytest.mark.django_db
def test_the_rollup_command_runs_it_and_says_what_it_did(operator, analyst):
    from io import StringIO

    from django.core.management import call_command

    make_experiment(operator)
    events_ingest(actor=analyst, events=HAND_EVENTS)
    out = StringIO()
    call_command("rollup_events", stdout=out)
    assert out.getvalue().startswith(f"Rolled up {len(HAND_EVENTS)} event(s) into 12 observation")
    assert observations() == HAND_EXPECTED
