"""Synthetic events for the events benchmarks (bench/rollup_bench.py, bench/ingest_bench.py):
bench experiments with three metrics, events generated with NumPy, loaded with COPY or
turned into API request bodies."""

import datetime as dt
import io
import json

import numpy as np
import pandas as pd

START = np.datetime64("2026-11-01T00:00:00", "s")
START_DAY = dt.date(2026, 11, 1)  # the experiments start with the first event day
DAY = 86_400
METRICS = [
    ("bench_signups", "binomial"),
    ("bench_revenue", "mean"),
    ("bench_unsubscribes", "binomial"),
]


# --- data ------------------------------------------------------------------------------------


def setup_experiments(n: int) -> tuple[np.ndarray, dict]:
    """``n`` experiments with control and treatment; returns variant ids [n, 2] and metric ids."""
    from experiments.models import Experiment, Metric, Variant
    from roles.models import Role
    from tests.factories import HypothesisFactory, UserFactory

    metrics = {
        key: Metric.objects.update_or_create(key=key, defaults={"name": key, "kind": kind})[0]
        for key, kind in METRICS
    }
    owner = UserFactory(username="bench-operator", role=Role.OPERATOR)
    hypothesis = HypothesisFactory(metric=metrics["bench_signups"])
    experiments = Experiment.objects.bulk_create(
        [
            Experiment(
                name=f"Bench {i}", key=f"bench-{i}", hypothesis=hypothesis, owner=owner,
                primary_metric=metrics["bench_signups"], status="running",
                start_date=START_DAY,
            )
            for i in range(n)
        ],
        batch_size=1_000,
    )  # fmt: skip
    Experiment.secondary_metrics.through.objects.bulk_create(
        [
            Experiment.secondary_metrics.through(experiment=e, metric=metrics["bench_revenue"])
            for e in experiments
        ]
    )
    Experiment.guardrail_metrics.through.objects.bulk_create(
        [
            Experiment.guardrail_metrics.through(experiment=e, metric=metrics["bench_unsubscribes"])
            for e in experiments
        ]
    )
    variants = Variant.objects.bulk_create(
        [
            Variant(experiment=e, key=key, name=key, is_control=key == "control", weight=0.5)
            for e in experiments
            for key in ("control", "b")
        ],
        batch_size=2_000,
    )
    variant_ids = np.array([v.pk for v in variants], dtype=np.int64).reshape(n, 2)
    return variant_ids, {key: m.pk for key, m in metrics.items()}


def synthetic_events(
    n_events, n_experiments, days, rng, user_offset=0, old_users=None, first_day=0
):
    """A DataFrame of about ``n_events`` events in arrival order (by timestamp, some late).

    Per user: one exposure, a second one for 20 % (half the time to the other variant);
    30 % of users convert, with about 5.6 conversion events each, 15 % of them before the
    exposure. ``old_users`` (first exposure times of earlier users) get late conversions.
    New users are first exposed over ``days`` days from day ``first_day``.
    """
    n_users = max(1, int(n_events / 2.9))
    user = np.arange(user_offset, user_offset + n_users)
    experiment = user % n_experiments
    variant = rng.integers(0, 2, n_users)
    first = first_day * DAY + rng.integers(0, days * DAY, n_users)
    again = rng.random(n_users) < 0.2
    second_variant = np.where(rng.random(n_users) < 0.5, variant, 1 - variant)[again]
    second = first[again] + rng.integers(0, 3 * DAY, int(again.sum()))

    n_conversions = max(0, n_events - n_users - int(again.sum()))
    converters = np.flatnonzero(rng.random(n_users) < 0.3)
    if len(converters) == 0:
        converters = np.arange(n_users)
    who = rng.choice(converters, n_conversions)
    conv_user, conv_exp, conv_first = user[who], experiment[who], first[who]
    if old_users is not None and len(old_users["user"]):
        late = rng.random(n_conversions) < 0.3  # a share are late events of old users
        pick = rng.integers(0, len(old_users["user"]), int(late.sum()))
        conv_user = np.where(late, 0, conv_user)
        conv_user[late] = old_users["user"][pick]
        conv_exp = np.where(late, 0, conv_exp)
        conv_exp[late] = old_users["experiment"][pick]
        conv_first = np.where(late, 0, conv_first)
        conv_first[late] = old_users["first"][pick]
    offset = np.where(
        rng.random(n_conversions) < 0.15,
        -rng.integers(1, DAY, n_conversions),
        rng.integers(0, 6 * DAY, n_conversions),
    )
    conv_ts = np.maximum(conv_first + offset, 0)
    metric = rng.choice(3, n_conversions, p=[0.45, 0.45, 0.10])
    value = np.where(metric == 1, np.round(rng.exponential(20.0, n_conversions), 2), np.nan)

    frame = pd.DataFrame(
        {
            "experiment": np.concatenate([experiment, experiment[again], conv_exp]),
            "variant": np.concatenate([variant, second_variant, rng.integers(0, 2, n_conversions)]),
            "metric": np.concatenate([np.full(n_users + int(again.sum()), -1), metric]),
            "user": np.concatenate([user, user[again], conv_user]),
            "kind": np.concatenate(
                [np.ones(n_users + int(again.sum()), np.int8), np.full(n_conversions, 2, np.int8)]
            ),
            "value": np.concatenate([np.full(n_users + int(again.sum()), np.nan), value]),
            "ts": np.concatenate([first, second, conv_ts]),
        }
    )
    late = rng.random(len(frame)) < 0.02
    arrival = frame["ts"].to_numpy() + np.where(late, rng.integers(0, 2 * DAY, len(frame)), 0)
    frame = frame.iloc[np.argsort(arrival, kind="stable")].reset_index(drop=True)
    users = {"user": user, "experiment": experiment, "first": first}
    return frame, users


def copy_events(frame, variant_ids, metric_ids, chunk=1_000_000) -> None:
    metric_lookup = np.array([metric_ids[k] for k, _ in METRICS], dtype=np.int64)
    columns = "experiment_id, variant_id, metric_id, user_id, kind, value, timestamp"
    with connection().cursor() as cursor:
        for start in range(0, len(frame), chunk):
            part = frame.iloc[start : start + chunk]
            exp = part["experiment"].to_numpy()
            metric = part["metric"].to_numpy()
            metric_id = pd.array(metric_lookup[np.maximum(metric, 0)], dtype="Int64")
            metric_id[metric < 0] = pd.NA
            out = pd.DataFrame(
                {
                    "e": experiment_ids_of(variant_ids)[exp],
                    "v": variant_ids[exp, part["variant"].to_numpy()],
                    "m": metric_id,
                    "u": "u" + part["user"].astype(str),
                    "k": part["kind"],
                    "val": part["value"],
                    "t": np.char.add(
                        np.datetime_as_string(START + part["ts"].to_numpy(), unit="s"), "+00"
                    ),
                }
            )
            buffer = io.StringIO()
            out.to_csv(buffer, sep="\t", header=False, index=False, na_rep="\\N")
            with cursor.cursor.copy(f"COPY analytics_event ({columns}) FROM STDIN") as copy:
                copy.write(buffer.getvalue())


_EXPERIMENT_IDS = {}


def experiment_ids_of(variant_ids):
    key = id(variant_ids)
    if key not in _EXPERIMENT_IDS:
        from experiments.models import Variant

        lookup = dict(Variant.objects.values_list("id", "experiment_id"))
        _EXPERIMENT_IDS[key] = np.array([lookup[v] for v in variant_ids[:, 0]], dtype=np.int64)
    return _EXPERIMENT_IDS[key]


def connection():
    from django.db import connection as django_connection

    return django_connection


def http_bodies(args, variant_ids):
    from experiments.models import Experiment

    keys = dict(Experiment.objects.filter(key__startswith="bench-").values_list("id", "key"))
    exp_ids = experiment_ids_of(variant_ids)
    rng = np.random.default_rng(args.seed + 1)
    bodies = []
    for r in range(args.http_requests + 1):
        frame, _ = synthetic_events(
            args.http_batch, args.experiments, args.days, rng, 10**9 + r * 10**6
        )
        frame = frame.iloc[: args.http_batch]
        stamps = np.datetime_as_string(START + frame["ts"].to_numpy(), unit="s")
        events = []
        names = [k for k, _ in METRICS]
        for e, v, m, u, k, val, ts in zip(
            frame["experiment"], frame["variant"], frame["metric"], frame["user"], frame["kind"],
            frame["value"], stamps, strict=True,
        ):  # fmt: skip
            event = {
                "experiment": keys[exp_ids[e]],
                "variant": "control" if v == 0 else "b",
                "user_id": f"u{u}",
                "kind": "exposure" if k == 1 else "conversion",
                "timestamp": ts + "Z",
            }
            if k == 2:
                event["metric"] = names[m]
                if m == 1:
                    event["value"] = float(val)
            events.append(event)
        if r % 2:
            body = "\n".join(json.dumps(e) for e in events).encode()
            bodies.append((body, "application/x-ndjson"))
        else:
            bodies.append((json.dumps(events).encode(), "application/json"))
    return bodies
