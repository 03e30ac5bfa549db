"""Events benchmark on PostgreSQL: the roll-up against its floor, and ingestion over HTTP.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/growthops \\
        .venv/bin/python bench/rollup_bench.py [--events 10000000] [--experiments 1000]

It works in its own database (``--db``, default ``growthops_events_bench``: created, migrated,
and dropped at the end unless ``--keep``), so tests and the dev database are left alone.

1. Loads N synthetic events with COPY: users exposed once or twice (the second time maybe
   to the other variant), a share of them converting on three metrics (binomial sign-ups,
   mean revenue, binomial unsubscribes), some conversions before the exposure, arriving
   roughly in time order with some late stragglers.
2. Times ``events_rollup_run`` over all of them (the first, largest run), then two
   incremental runs over 1 % more events each: new users plus late conversions of old ones
   spread over every cohort, then only new users of one new day; and a run with nothing new.
   Each roll-up line shows the time of its steps (see ``events_rollup_run``'s progress).
3. Times one hand-written SQL ``GROUP BY`` over the same table giving the same numbers (the
   floor), checks they agree with the stored observations, and prints the ratio.
4. Times ``experiment_analyse`` for the 1,000 running experiments (3 metrics each) over the
   observations the roll-up wrote, through the sweep's vectorised path.
5. Starts gunicorn on a free loopback port against the same database and POSTs batches of
   events as an analyst (token auth); prints events/s.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import numpy as np
import psycopg
from events_data import (
    connection,
    copy_events,
    experiment_ids_of,
    http_bodies,
    setup_experiments,
    synthetic_events,
)

ROOT = Path(__file__).resolve().parent.parent


def main():
    args = parse_args()
    server_url, bench_url = database_urls(args.db)
    drop_database(server_url, args.db)  # always from scratch
    create_database(server_url, args.db)
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "growthops.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")  # the dev secret and hosts; DEBUG defaults to off
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # The analysis step raises alerts; keep their e-mails out of the printed figures.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    call_command("migrate", verbosity=0)
    # Time the roll-up itself: without a broker the analyses it queues on commit would run
    # in-process (eagerly) inside the timing. With Redis, queuing is a quick LPUSH.
    from analytics.analysis import freshness

    freshness.queue_analysis = lambda experiment_ids, task_ids=None: []
    try:
        run(args, bench_url)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(server_url, args.db)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--experiments", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--http-batch", type=int, default=50_000)
    parser.add_argument("--http-requests", type=int, default=20)
    parser.add_argument("--http-clients", type=int, default=2)
    parser.add_argument("--http-workers", type=int, default=2)
    parser.add_argument("--db", default="growthops_events_bench")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    if args.db in ("growthops", "postgres") or args.db.startswith("test_"):
        parser.error("use a database of its own; it is emptied and dropped")
    return args


def database_urls(name: str) -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/growthops")
    if not base.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (this benchmark needs COPY).")
    parts = urllib.parse.urlsplit(base)
    server = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    return server, parts._replace(path=f"/{name}").geturl()


def create_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the floor -------------------------------------------------------------------------------

FLOOR_SQL = """
WITH firsts AS (
    SELECT DISTINCT ON (experiment_id, user_id COLLATE "C") experiment_id, user_id, variant_id,
           "timestamp" AS ts
    FROM analytics_event WHERE kind = 1
    ORDER BY experiment_id, user_id COLLATE "C", "timestamp", id
), sizes AS (
    SELECT experiment_id, variant_id, (ts AT TIME ZONE 'UTC')::date AS day, count(*) AS users
    FROM firsts GROUP BY 1, 2, 3
), per_user AS (
    SELECT f.experiment_id, f.variant_id, (f.ts AT TIME ZONE 'UTC')::date AS day, e.metric_id,
           sum(e.value) AS total
    FROM firsts f
    JOIN analytics_event e ON e.experiment_id = f.experiment_id AND e.user_id = f.user_id
    WHERE e.kind = 2 AND e."timestamp" >= f.ts
    GROUP BY 1, 2, 3, 4, f.user_id
), converted AS (
    SELECT experiment_id, variant_id, day, metric_id, count(*) AS conversions,
           sum(coalesce(total, 0)) AS s, sum(coalesce(total, 0) * coalesce(total, 0)) AS ss
    FROM per_user GROUP BY 1, 2, 3, 4
), metrics AS (
    SELECT e.id AS experiment_id, m.id AS metric_id, m.kind = 'mean' AS is_mean
    FROM experiments_experiment e JOIN experiments_metric m ON m.id = e.primary_metric_id
    UNION SELECT t.experiment_id, m.id, m.kind = 'mean'
    FROM experiments_experiment_secondary_metrics t JOIN experiments_metric m ON m.id = t.metric_id
    UNION SELECT t.experiment_id, m.id, m.kind = 'mean'
    FROM experiments_experiment_guardrail_metrics t JOIN experiments_metric m ON m.id = t.metric_id
)
SELECT s.variant_id, m.metric_id, s.day, s.users,
       CASE WHEN m.is_mean THEN NULL ELSE coalesce(c.conversions, 0) END,
       CASE WHEN m.is_mean THEN coalesce(c.s, 0) END,
       CASE WHEN m.is_mean THEN coalesce(c.ss, 0) END
FROM sizes s JOIN metrics m USING (experiment_id)
LEFT JOIN converted c ON c.experiment_id = s.experiment_id AND c.variant_id = s.variant_id
     AND c.day = s.day AND c.metric_id = m.metric_id
"""


def run_floor() -> tuple[float, dict]:
    from django.db import transaction

    from analytics.ingest.rollup import ROLLUP_WORK_MEM

    with transaction.atomic(), connection().cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{ROLLUP_WORK_MEM}'")  # same budget as the roll-up
        began = time.perf_counter()
        cursor.execute(FLOOR_SQL)
        rows = cursor.fetchall()
        elapsed = time.perf_counter() - began
    return elapsed, {(r[0], r[1], r[2]): r[3:] for r in rows}


def stored_observations() -> dict:
    from analytics.models import Observation

    return {
        (o[0], o[1], o[2]): o[3:]
        for o in Observation.objects.values_list(
            "variant_id", "metric_id", "date", "users", "conversions", "sum", "sum_squares"
        )
    }


def compare(floor: dict, stored: dict) -> list:
    differences = []
    for key in set(floor) | set(stored):
        a, b = floor.get(key), stored.get(key)
        if a is None or b is None or a[:2] != b[:2]:
            differences.append((key, a, b))
            continue
        for x, y in zip(a[2:], b[2:], strict=True):
            if (x is None) != (y is None) or (x is not None and abs(x - y) > 1e-9 * max(1, abs(x))):
                differences.append((key, a, b))
                break
    return differences


# --- HTTP ------------------------------------------------------------------------------------


def http_bench(args, bench_url, variant_ids, metric_ids) -> None:
    from rest_framework.authtoken.models import Token

    from roles.models import Role
    from tests.factories import UserFactory

    analyst = UserFactory(username="bench-analyst", role=Role.ANALYST)
    token = Token.objects.get_or_create(user=analyst)[0].key
    bodies = http_bodies(args, variant_ids)
    port = free_port()
    # The production settings refuse to start without collected static files; this bench
    # posts to the API only, so an empty manifest stands in for collectstatic.
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    with open(os.path.join(static_root, "staticfiles.json"), "w") as manifest:
        manifest.write('{"paths": {}, "version": "1.1", "hash": ""}')
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_STATIC_ROOT": static_root,
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "growthops.wsgi", "--bind", f"127.0.0.1:{port}",
            "--workers", str(args.http_workers), "--timeout", "120", "--log-level", "warning",
        ],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        wait_for_port(port)
        post(port, token, bodies[0][0], bodies[0][1])  # warm up: imports, connection
        statuses, lock = [], threading.Lock()
        queue = list(bodies[1:])

        def client():
            while True:
                with lock:
                    if not queue:
                        return
                    body, ctype = queue.pop()
                status = post(port, token, body, ctype)
                with lock:
                    statuses.append(status)

        began = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(args.http_clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(20)
    sent = args.http_batch * (len(bodies) - 1)
    bad = [s for s in statuses if s != 201]
    print(
        f"HTTP ingest: {len(bodies) - 1} requests × {args.http_batch:,} events "
        f"({args.http_clients} clients, {args.http_workers} gunicorn workers): "
        f"{elapsed:.2f} s → {sent / elapsed:,.0f} events/s"
        + (f"  (non-201 answers: {bad})" if bad else "")
    )


def post(port, token, body, ctype) -> int:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request(
        "POST", "/api/v1/events/", body=body,
        headers={"Content-Type": ctype, "Authorization": f"Token {token}"},
    )  # fmt: skip
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    if response.status != 201:
        print("  answer:", response.status, payload[:300])
    return response.status


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


# --- the run ---------------------------------------------------------------------------------


class StepTimer:
    """A progress callback that records how long each roll-up step took."""

    def __init__(self):
        self.last = time.perf_counter()
        self.steps = []

    def __call__(self, done, total):
        now = time.perf_counter()
        self.steps.append(now - self.last)
        self.last = now

    def __str__(self):
        return "steps " + " / ".join(f"{s:.2f}" for s in self.steps) + " s"


def run(args, bench_url) -> None:
    from analytics.ingest.rollup import events_rollup_run

    rng = np.random.default_rng(args.seed)
    variant_ids, metric_ids = setup_experiments(args.experiments)
    began = time.perf_counter()
    frame, users = synthetic_events(args.events, args.experiments, args.days, rng)
    generated = time.perf_counter() - began
    began = time.perf_counter()
    copy_events(frame, variant_ids, metric_ids)
    loaded = time.perf_counter() - began
    with connection().cursor() as cursor:
        cursor.execute("VACUUM ANALYZE analytics_event")
    n = len(frame)
    print(f"Events: {n:,} in {args.experiments:,} experiments over {args.days} days "
          f"({len(users['user']):,} users); generated in {generated:.1f} s, "
          f"COPY {loaded:.1f} s ({n / loaded:,.0f} rows/s)")  # fmt: skip
    del frame

    floor_s, floor = run_floor()  # also warms the cache for both
    began = time.perf_counter()
    timer = StepTimer()
    counts = events_rollup_run(timer)
    rollup_s = time.perf_counter() - began
    floor_s = min(floor_s, run_floor()[0])
    differences = compare(floor, stored_observations())
    print(f"Roll-up, first run over all events: {rollup_s:.2f} s  {counts}  ({timer})")
    print(f"Floor, one hand-written GROUP BY:   {floor_s:.2f} s  ({len(floor):,} rows)")
    print(f"Ratio roll-up / floor: {rollup_s / floor_s:.2f}×  (target ≤ 1.5×)")
    print("Numbers agree with the floor." if not differences
          else f"MISMATCH in {len(differences)} rows, e.g. {differences[:3]}")  # fmt: skip

    more, _ = synthetic_events(max(1, n // 100), args.experiments, args.days, rng,
                               user_offset=10**8, old_users=users)  # fmt: skip
    timed_incremental("1 % more events", more, variant_ids, metric_ids)
    recent, _ = synthetic_events(max(1, n // 100), args.experiments, 1, rng,
                                 user_offset=2 * 10**8, first_day=args.days)  # fmt: skip
    timed_incremental(
        "1 % more events, all new users of one new day", recent, variant_ids, metric_ids
    )
    began = time.perf_counter()
    counts = events_rollup_run()
    print(f"Roll-up with nothing new: {time.perf_counter() - began:.3f} s  {counts}")

    analyse_bench(experiment_ids_of(variant_ids))

    if args.http_requests > 0:
        http_bench(args, bench_url, variant_ids, metric_ids)


def timed_incremental(label, frame, variant_ids, metric_ids) -> None:
    """Load ``frame``, time the roll-up over it, and check every number against the floor."""
    from analytics.ingest.rollup import events_rollup_run

    copy_events(frame, variant_ids, metric_ids)
    began = time.perf_counter()
    timer = StepTimer()
    counts = events_rollup_run(timer)
    elapsed = time.perf_counter() - began
    floor_s, floor = run_floor()
    differences = compare(floor, stored_observations())
    print(f"Roll-up, incremental run over {label}: {elapsed:.2f} s  {counts} ({timer}); "
          f"floor over everything now {floor_s:.2f} s; "
          + ("numbers agree." if not differences else f"MISMATCH in {len(differences)} rows"))  # fmt: skip


def analyse_bench(experiment_ids) -> None:
    """``experiment_analyse`` for every bench experiment, as the beat sweep runs it: running,
    3 metrics each, over the observations the roll-up wrote (bench/analyse_bench.py has more)."""
    from analytics.analysis.pipeline import experiments_analyse
    from analytics.models import AnalysisState, Result

    ids = [int(i) for i in experiment_ids]
    AnalysisState.objects.filter(experiment_id__in=ids).update(stale=True)
    began = time.perf_counter()
    counts = experiments_analyse(ids)
    elapsed = time.perf_counter() - began
    print(f"experiment_analyse, {len(ids):,} running experiments × 3 metrics: {elapsed:.2f} s  "
          f"{counts}; {Result.objects.count():,} result rows  (target < 10 s)")  # fmt: skip


if __name__ == "__main__":
    main()
