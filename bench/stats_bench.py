"""Benchmark the statistics engine. Prints figures; asserts nothing.

    .venv/bin/python bench/stats_bench.py [--comparisons 100000] [--sample 1000]

1. Frequentist + SRM + Holm for N two-variant comparisons (binomial, then mean) in one
   vectorised call each, against
   - the same work one comparison at a time through statsmodels/scipy (timed on a sample,
     scaled up to N; a one-comparison family needs no multipletests call, which is timed
     on its own because it runs gc.collect() every time), and
   - the floor: a bare vectorised z-test (p̂, unpooled se, z, two-sided p) over the same arrays.
2. Exact Bayesian chance to beat control (+ expected loss) for N binomial comparisons.
3. ``analyse()`` on one typical experiment, and its request check ``parse_request()`` alone
   (median of many calls): the work of ``POST /api/v1/analyse/`` past the HTTP layer.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy import special, stats
from statsmodels.stats import proportion
from statsmodels.stats.multitest import multipletests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.stats import (  # noqa: E402
    adjust_p_values,
    analyse,
    binomial_chance_to_beat,
    compare_means,
    compare_proportions,
    parse_request,
    srm_test,
)


def timed(function, repeat: int = 5) -> float:
    """Median wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def binomial_data(size: int, rng) -> dict:
    total = rng.integers(2_000, 400_000, size)
    users_t = rng.binomial(total, 0.5)  # a 50/50 split
    users_c = total - users_t
    rate = rng.uniform(0.01, 0.2, size)
    return {
        "x_c": rng.binomial(users_c, rate),
        "n_c": users_c,
        "x_t": rng.binomial(users_t, rate * rng.uniform(0.9, 1.1, size)),
        "n_t": users_t,
    }


def mean_data(size: int, rng) -> dict:
    n_c = rng.integers(1_000, 200_000, size)
    n_t = rng.integers(1_000, 200_000, size)
    mean_c = rng.uniform(5, 50, size)
    mean_t = mean_c * rng.uniform(0.95, 1.05, size)
    sd_c = mean_c * rng.uniform(0.5, 3, size)
    sd_t = sd_c * rng.uniform(0.9, 1.1, size)
    return {
        "n_c": n_c,
        "s_c": mean_c * n_c,
        "ss_c": sd_c**2 * (n_c - 1) + mean_c**2 * n_c,
        "n_t": n_t,
        "s_t": mean_t * n_t,
        "ss_t": sd_t**2 * (n_t - 1) + mean_t**2 * n_t,
        "mean_c": mean_c,
        "sd_c": sd_c,
        "mean_t": mean_t,
        "sd_t": sd_t,
    }


def arms(n_c, n_t):
    """Interleave per-comparison control/treatment users into per-arm arrays with group ids."""
    users = np.empty(2 * n_c.size)
    users[0::2], users[1::2] = n_c, n_t
    return users, np.full(users.size, 0.5), np.repeat(np.arange(n_c.size), 2)


def engine_binomial(d):
    result = compare_proportions(d["x_c"], d["n_c"], d["x_t"], d["n_t"], 0.05)
    users, weights, groups = d["arms"]
    srm = srm_test(users, weights, groups)
    adjusted = adjust_p_values(result.p_value, "holm", d["comparison_groups"])
    return result, srm, adjusted


def engine_mean(d):
    result = compare_means(d["n_c"], d["s_c"], d["ss_c"], d["n_t"], d["s_t"], d["ss_t"], 0.05)
    users, weights, groups = d["arms"]
    srm = srm_test(users, weights, groups)
    adjusted = adjust_p_values(result.p_value, "holm", d["comparison_groups"])
    return result, srm, adjusted


def floor_z_test(d):
    """The floor: a bare vectorised z-test (no CIs, lift, SRM, correction or input checks)."""
    p_c = d["x_c"] / d["n_c"]
    p_t = d["x_t"] / d["n_t"]
    se = np.sqrt(p_c * (1 - p_c) / d["n_c"] + p_t * (1 - p_t) / d["n_t"])
    z = (p_t - p_c) / se
    return 2 * special.ndtr(-np.abs(z))


def loop_binomial(d, indices):
    for i in indices:
        args = (d["x_t"][i], d["n_t"][i], d["x_c"][i], d["n_c"][i])
        proportion.test_proportions_2indep(*args, method="wald", compare="diff")
        proportion.confint_proportions_2indep(*args, method="wald", compare="diff")
        stats.chisquare([d["n_c"][i], d["n_t"][i]])
        # A one-comparison family needs no Holm step; multipletests is timed on its own below.


def loop_mean(d, indices):
    for i in indices:
        stats.ttest_ind_from_stats(
            d["mean_t"][i],
            d["sd_t"][i],
            d["n_t"][i],
            d["mean_c"][i],
            d["sd_c"][i],
            d["n_c"][i],
            equal_var=False,
        )
        vn_c = d["sd_c"][i] ** 2 / d["n_c"][i]
        vn_t = d["sd_t"][i] ** 2 / d["n_t"][i]
        df = (vn_c + vn_t) ** 2 / (vn_c**2 / (d["n_c"][i] - 1) + vn_t**2 / (d["n_t"][i] - 1))
        stats.t.interval(0.95, df, loc=d["mean_t"][i] - d["mean_c"][i], scale=np.sqrt(vn_c + vn_t))
        stats.chisquare([d["n_c"][i], d["n_t"][i]])


TYPICAL = {
    "metric_type": "binomial",
    "higher_is_better": True,
    "alpha": 0.05,
    "correction": "holm",
    "weights": [0.34, 0.33, 0.33],
    "sequential_tau": 0.01,
    "variants": [
        {"name": "control", "users": 41_230, "conversions": 2_105},
        {"name": "B", "users": 40_118, "conversions": 2_230},
        {"name": "C", "users": 40_560, "conversions": 2_071},
    ],
}

TYPICAL_MEAN = {
    "metric_type": "mean",
    "higher_is_better": True,
    "correction": "benjamini-hochberg",
    "variants": [
        {"name": "control", "users": 20_000, "sum": 512_000.0, "sum_squares": 41_000_000.0},
        {"name": "B", "users": 20_100, "sum": 530_000.0, "sum_squares": 43_000_000.0},
    ],
}

TYPICAL_CUPED = {
    "metric_type": "mean",
    "variants": [
        {
            "name": name,
            "users": 20_000,
            "sum": total,
            "sum_squares": 41_000_000.0,
            "covariate_sum": 500_000.0,
            "covariate_sum_squares": 39_000_000.0,
            "cross_sum": 24_000_000.0,
        }
        for name, total in (("control", 512_000.0), ("B", 530_000.0))
    ],
}


def median_call(function, calls: int) -> float:
    """Median wall time of one call over ``calls`` calls (after one warm-up), in seconds."""
    function()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comparisons", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=1_000, help="loop sample size")
    args = parser.parse_args()
    size = args.comparisons
    rng = np.random.default_rng(2024)
    sample = rng.choice(size, args.sample, replace=False)
    scale = size / args.sample

    print(f"analytics.stats benchmark: {size:,} two-variant comparisons (median of 5 runs)")
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}\n")
    for kind, data, engine, loop in (
        ("binomial", binomial_data(size, rng), engine_binomial, loop_binomial),
        ("mean", mean_data(size, rng), engine_mean, loop_mean),
    ):
        data["arms"] = arms(data["n_c"], data["n_t"])
        data["comparison_groups"] = np.arange(size)
        if kind == "mean":  # the floor is the same z-test on binomial-shaped arrays
            floor_data = binomial_data(size, np.random.default_rng(7))
        else:
            floor_data = data
        engine(data)  # warm up
        vectorised = timed(lambda data=data, engine=engine: engine(data))
        floor = timed(lambda floor_data=floor_data: floor_z_test(floor_data))
        start = time.perf_counter()
        loop(data, sample)
        looped = (time.perf_counter() - start) * scale
        print(f"{kind}: frequentist (diff, CI, lift + CI, p) + SRM + Holm")
        print(f"  vectorised engine      {vectorised * 1e3:9.1f} ms")
        print(f"  bare numpy z-test      {floor * 1e3:9.1f} ms   (floor)")
        print(
            f"  statsmodels/scipy loop {looped * 1e3:9.0f} ms   ({args.sample:,} timed, x{scale:g})"
        )
        print(f"  engine / floor         {vectorised / floor:9.2f} x")
        print(f"  loop / engine          {looped / vectorised:9.0f} x\n")

    start = time.perf_counter()
    for _ in range(20):
        multipletests([0.01, 0.04, 0.03], method="holm")
    per_call = (time.perf_counter() - start) / 20
    print(f"statsmodels multipletests, one 3-comparison family: {per_call * 1e3:.1f} ms per call")
    print("  (it runs gc.collect() on every call; left out of the loops above)\n")

    data = binomial_data(size, rng)
    bayes = timed(
        lambda: binomial_chance_to_beat(data["x_c"], data["n_c"], data["x_t"], data["n_t"]),
        repeat=3,
    )
    print(f"exact Bayesian chance to beat + expected loss, {size:,} comparisons: {bayes:.3f} s")

    for label, request in (
        ("binomial, 3 variants, holm, mSPRT", TYPICAL),
        ("mean, 2 variants, BH", TYPICAL_MEAN),
        ("mean, 2 variants, CUPED", TYPICAL_CUPED),
    ):
        whole = median_call(lambda request=request: analyse(request), 2_000)
        check = median_call(lambda request=request: parse_request(request), 20_000)
        print(
            f"analyse() one experiment ({label}): median {whole * 1e3:.3f} ms, "
            f"of which parse_request() {check * 1e6:.1f} µs"
        )


if __name__ == "__main__":
    main()
