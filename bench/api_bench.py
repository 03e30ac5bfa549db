"""Benchmark: the REST API under concurrent clients, served by gunicorn on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/growthops .venv/bin/python bench/api_bench.py
    .venv/bin/python bench/api_bench.py --clients 8 --seconds 10 --workers 2

Works in its own database (PostgreSQL: ``growthops_api_bench``, created and dropped; without
``DATABASE_URL``, SQLite in a temporary file, for a quick look only), loads the demo
organisation plus 5,000 experiments (``seed_demo --large``) and gives a non-demo analyst a
token. Then it starts gunicorn (``--workers`` processes, gthread) on 127.0.0.1 with DEBUG off
and, per endpoint, runs ``--clients`` threads, each with its own keep-alive connection, for
``--seconds`` after a short warm-up, round-robin in ``--rounds`` passes (a change in the
machine's other load falls on every endpoint alike). Prints requests per second, the p50 / p99
latency and the server's CPU time per request (gunicorn workers and their PostgreSQL backends,
from ``/proc``; other load slows requests down but does not change it) of:

- ``GET /api/v1/auth/me/``: the trivial authenticated endpoint (token check, throttle, JSON),
  the yardstick;
- ``GET /api/v1/experiments/?page_size=100``;
- ``GET /api/v1/experiments/{id}/results/`` of a running experiment with results;
- ``POST /api/v1/analyse/`` (two binomial arms).

Target: each real endpoint serves at least 30 % of the trivial endpoint's requests per second.
The clients run on the same machine as the server, so the figures are for comparing the
endpoints with each other, not a capacity plan. Figures and what they mean: docs/api.md.
"""

import argparse
import http.client
import io
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_database import own_database

ROOT = Path(__file__).resolve().parent.parent
TARGET_SHARE = 0.30
ANALYSE_BODY = {
    "metric_type": "binomial",
    "variants": [
        {"name": "control", "users": 10_000, "conversions": 1_000},
        {"name": "B", "users": 10_000, "conversions": 1_080},
    ],
}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per endpoint")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--experiments", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3, help="round-robin passes")
    parser.add_argument(
        "--database", default="growthops_api_bench", help="the bench's own PostgreSQL database"
    )
    args = parser.parse_args()
    cleanup = own_database(args.database)
    try:
        run(args)
    finally:
        cleanup()


def run(args):
    measure_endpoints(args, *load_data(args.experiments))


def measure_endpoints(args, token: str, experiment_id: int, vendor: str) -> None:
    port = free_port()
    static_root = tempfile.TemporaryDirectory()
    server = start_gunicorn(port, args, static_root.name)
    try:
        wait_until_up(port, token)
        endpoints = [
            ("trivial: GET auth/me", "GET", "/api/v1/auth/me/", None),
            ("GET experiments, page_size=100", "GET", "/api/v1/experiments/?page_size=100", None),
            (
                "GET experiment results",
                "GET",
                f"/api/v1/experiments/{experiment_id}/results/",
                None,
            ),
            ("POST analyse", "POST", "/api/v1/analyse/", json.dumps(ANALYSE_BODY).encode()),
        ]
        print(
            f"\ngunicorn: {args.workers} workers × {args.threads} threads on 127.0.0.1:{port}, "
            f"{vendor}; {args.clients} keep-alive clients, {args.seconds:.0f} s per endpoint "
            f"in {args.rounds} rounds"
        )
        for _, method, path, body in endpoints:  # warm-up
            load(port, token, method, path, body, args.clients, args.warmup)
        # Round-robin: a change in the machine's other load falls on every endpoint alike.
        totals = {label: Measure() for label, *_ in endpoints}
        for _ in range(args.rounds):
            for label, method, path, body in endpoints:
                before = server_cpu(server.pid, vendor)
                rate_time, latencies, errors = load(
                    port, token, method, path, body, args.clients, args.seconds / args.rounds
                )
                totals[label].add(
                    rate_time, latencies, errors, server_cpu(server.pid, vendor), before
                )
        print(
            f"  {'endpoint':34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'share':>7}"
            f" {'CPU ms/req':>11} {'CPU share':>10}"
        )
        trivial = totals[endpoints[0][0]]
        for label, *_ in endpoints:
            measure = totals[label]
            share = measure.rate / trivial.rate
            verdict = "" if share >= TARGET_SHARE else f"   under {TARGET_SHARE:.0%}"
            print(
                f"  {label:34} {measure.rate:8.1f} {percentile(measure.latencies, 50):8.1f} "
                f"{percentile(measure.latencies, 99):8.1f} {share:7.0%}"
                f" {measure.cpu_per_request:11.2f} {trivial.cpu_per_request / measure.cpu_per_request:10.0%}"
                + verdict
                + (f"   {measure.errors} errors" if measure.errors else "")
            )
        print(
            "  CPU ms/req: the server's CPU time per request (gunicorn workers and their "
            "PostgreSQL backends), which the machine's other load does not change."
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        static_root.cleanup()


def load_data(experiments: int):
    """Migrate, seed the large demo, and return (a token, a running experiment, the vendor)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_DEBUG", "1")  # seeding prints the demo logins; harmless
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "growthops.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from analytics.models import Result
    from demo.bench import seed_large
    from experiments.models import Experiment
    from roles.models import Role, User

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    seed_large(count=experiments, out=lambda *a: None)
    if connection.vendor == "postgresql":
        # As autovacuum would have by now, after the inserts: statistics for real sizes, and a
        # visibility map, so that counting a list reads its index rather than every row.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    # Demo accounts are refused with DEBUG off, as on a real deployment: a real analyst.
    analyst = User.objects.create_user(username="bench-analyst", role=Role.ANALYST)
    token = Token.objects.create(user=analyst).key
    with_results = (
        Result.objects.filter(experiment__status="running")
        .order_by("experiment_id")
        .values_list("experiment_id", flat=True)
        .first()
    )
    print(
        f"Data: {Experiment.objects.count():,} experiments, {Result.objects.count():,} results "
        f"on {connection.vendor}; loaded in {time.perf_counter() - started:.1f} s"
    )
    vendor = connection.vendor
    connection.close()
    return token, with_results, vendor


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, args, static_root: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DB_CONN_MAX_AGE": "60",  # as a deployment would: no new connection per request
        "API_THROTTLE_USER": "100000000/hour",  # the throttle runs, but never refuses here
        "LOG_LEVEL": "WARNING",
        "DJANGO_STATIC_ROOT": static_root,
    }
    # With DEBUG off the app starts only with its static files collected (growthops/wsgi.py).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "growthops.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(args.threads),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def wait_until_up(port: int, token: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, _ = request(connect(port), token, "GET", "/api/v1/auth/me/", None)
            if status == 200:
                return
            raise SystemExit(f"The trivial endpoint answered {status}.")
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start.")


def connect(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def request(conn, token, method, path, body) -> tuple[int, bytes]:
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


class Measure:
    """Requests, time, latencies and server CPU of one endpoint, summed over the rounds."""

    def __init__(self):
        self.requests, self.seconds, self.cpu, self.errors = 0, 0.0, 0.0, 0
        self.latencies: list[float] = []

    def add(self, rate_time, latencies, errors, cpu_after, cpu_before):
        self.requests += len(latencies)
        self.seconds += rate_time
        self.latencies.extend(latencies)
        self.errors += errors
        self.cpu += sum(t - cpu_before.get(pid, 0.0) for pid, t in cpu_after.items())

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_request(self) -> float:
        return self.cpu / self.requests * 1000 if self.requests else float("nan")


TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu(master_pid: int, vendor: str) -> dict[int, float]:
    """CPU seconds so far of each gunicorn worker and each PostgreSQL backend of this database."""
    pids = [pid for pid in _all_pids() if _parent(pid) == master_pid]
    if vendor == "postgresql":
        import psycopg

        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            pids += [
                row[0]
                for row in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                )
            ]
    return {pid: cpu for pid in pids if (cpu := _cpu_seconds(pid)) is not None}


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _parent(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def _cpu_seconds(pid: int) -> float | None:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICKS if fields else None


def load(port, token, method, path, body, clients, seconds):
    """``clients`` threads, each on its own keep-alive connection, for ``seconds``."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client():
        conn = connect(port)
        mine, failed = [], 0
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            try:
                status, _ = request(conn, token, method, path, body)
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = connect(port)
                continue
            mine.append((time.perf_counter() - start) * 1000)
            if status != 200:
                failed += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, errors[0]


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]


if __name__ == "__main__":
    main()
