import datetime as dt

import pytest
from django.core import mail

from analytics.analysis.alerts import raise_overdue_alerts
from analytics.analysis.freshness import observations_changed
from analytics.analysis.pipeline import experiments_analyse, experiments_to_sweep
from analytics.ingest.observations import observations_ingest
from analytics.models import Alert, AnalysisState, Notification, Observation, Result
from analytics.stats import analyse
from analytics.tasks import experiment_analyse, experiments_analyse_sweep
from experiments.design import experiment_design
from tests.analytics.helpers import START, binomial_rows, running_experiment
from tests.factories import MetricFactory

pytestmark = pytest.mark.django_db


def upload(experiment, actor, rows):
    """Ingest rows without running the on-commit analysis (tests call it explicitly)."""
    return observations_ingest(experiment_id=experiment.pk, actor=actor, rows=rows)


@pytest.fixture
def experiment(operator):
    return running_experiment(operator)


def test_results_equal_the_engine_on_cumulative_sums(experiment, analyst):
    upload(
        experiment,
        analyst,
        binomial_rows("2026-11-02", (1000, 100), (1000, 120))
        + binomial_rows("2026-11-03", (900, 95), (950, 130)),
    )

    experiments_analyse([experiment.pk])

    expected = analyse(
        {
            "metric_type": "binomial",
            "higher_is_better": True,
            "alpha": 0.05,
            "weights": [0.5, 0.5],
            "variants": [
                {"name": "control", "users": 1900, "conversions": 195},
                {"name": "b", "users": 1950, "conversions": 250},
            ],
        }
    )["variants"][1]
    b = Result.objects.get(variant__key="b", metric__key="signups")
    assert b.users == 1950 and b.look == 1
    assert b.diff == pytest.approx(expected["diff"], rel=1e-12)
    assert [b.diff_ci_low, b.diff_ci_high] == pytest.approx(expected["diff_ci"], rel=1e-12)
    assert [b.lift_ci_low, b.lift_ci_high] == pytest.approx(expected["lift_ci"], rel=1e-12)
    assert b.p_value == pytest.approx(expected["p_value"], rel=1e-12)
    assert b.chance_to_beat_control == pytest.approx(expected["chance_to_beat_control"], rel=1e-12)
    assert b.significant is expected["significant"]
    assert not AnalysisState.objects.get(experiment=experiment).stale


def test_mean_metrics_and_lower_is_better(operator, analyst):
    latency = MetricFactory(key="latency", kind="mean", direction="lower")
    experiment = running_experiment(operator)
    experiment.secondary_metrics.add(latency)
    upload(
        experiment,
        analyst,
        [
            {
                "date": "2026-11-02",
                "variant": "control",
                "metric": "latency",
                "users": 500,
                "sum": 1500,
                "sum_squares": 6000,
            },
            {
                "date": "2026-11-02",
                "variant": "b",
                "metric": "latency",
                "users": 500,
                "sum": 1300,
                "sum_squares": 4500,
            },
        ],
    )
    experiments_analyse([experiment.pk])
    b = Result.objects.get(variant__key="b", metric=latency)
    assert b.mean == pytest.approx(2.6) and b.diff == pytest.approx(-0.4)
    # Lower is better: a lower mean beats control.
    assert b.chance_to_beat_control > 0.99


def test_cuped_is_used_when_every_row_has_covariates(experiment, analyst):
    rows = [
        {
            "date": "2026-11-02",
            "variant": "control",
            "metric": "revenue",
            "users": 100,
            "sum": 520,
            "sum_squares": 4100,
            "covariate_sum": 480,
            "covariate_sum_squares": 3500,
            "cross_sum": 3400,
        },
        {
            "date": "2026-11-02",
            "variant": "b",
            "metric": "revenue",
            "users": 100,
            "sum": 560,
            "sum_squares": 4400,
            "covariate_sum": 470,
            "covariate_sum_squares": 3400,
            "cross_sum": 3500,
        },
    ]
    upload(experiment, analyst, rows)
    experiments_analyse([experiment.pk])
    b = Result.objects.get(variant__key="b", metric__key="revenue")
    expected = analyse(
        {
            "metric_type": "mean",
            "higher_is_better": True,
            "variants": [
                {
                    k: v
                    for k, v in {**r, "name": r["variant"]}.items()
                    if k not in ("date", "variant", "metric")
                }
                for r in rows
            ],
        }
    )["variants"][1]
    assert b.cuped is True
    assert b.mean == pytest.approx(expected["mean"], rel=1e-12)
    assert b.p_value == pytest.approx(expected["p_value"], rel=1e-12)


def test_analysing_the_same_data_twice_keeps_one_snapshot_per_look(experiment, analyst):
    upload(experiment, analyst, binomial_rows())
    experiments_analyse([experiment.pk])
    first = list(Result.objects.values_list("id", "look", "p_value"))
    experiments_analyse([experiment.pk])  # a redelivered task
    assert list(Result.objects.values_list("id", "look", "p_value")) == first


def test_new_data_makes_a_new_look_and_history_is_kept(experiment, analyst):
    upload(experiment, analyst, binomial_rows("2026-11-02"))
    experiments_analyse([experiment.pk])
    upload(experiment, analyst, binomial_rows("2026-11-03"))
    experiments_analyse([experiment.pk])
    assert list(
        Result.objects.filter(variant__key="b").values_list("look", "users").order_by("look")
    ) == [(1, 1000), (2, 2000)]


def test_the_sequential_p_value_never_rises(operator, analyst):
    experiment = running_experiment(operator, sequential_tau=0.05, method="sequential")
    # A strong early effect, then days with none: the raw mSPRT p would rise again.
    upload(experiment, analyst, binomial_rows("2026-11-02", (2000, 200), (2000, 290)))
    experiments_analyse([experiment.pk])
    upload(experiment, analyst, binomial_rows("2026-11-03", (20000, 2000), (20000, 1900)))
    experiments_analyse([experiment.pk])
    series = list(
        Result.objects.filter(variant__key="b")
        .order_by("look")
        .values_list("sequential_p_value", flat=True)
    )
    raw = analyse(
        {
            "metric_type": "binomial",
            "higher_is_better": True,
            "sequential_tau": 0.05,
            "variants": [
                {"name": "control", "users": 22000, "conversions": 2200},
                {"name": "b", "users": 22000, "conversions": 2190},
            ],
        }
    )
    assert raw["variants"][1]["sequential_p_value"] > series[0]  # the raw value did rise …
    assert series[1] == series[0]  # … the stored series did not


def test_stale_stays_set_when_newer_data_arrived(experiment, analyst):
    upload(experiment, analyst, binomial_rows())
    AnalysisState.objects.filter(experiment=experiment).update(
        data_version=5
    )  # data arrived meanwhile
    state = AnalysisState.objects.get(experiment=experiment)
    assert state.stale
    experiments_analyse([experiment.pk])
    assert Result.objects.filter(look=5).exists()
    assert not AnalysisState.objects.get(experiment=experiment).stale


def test_an_srm_alert_is_raised_once_for_owner_and_cmo(experiment, analyst, cmo, operator):
    upload(experiment, analyst, binomial_rows(control=(1000, 100), treatment=(1300, 130)))
    experiments_analyse([experiment.pk])
    upload(experiment, analyst, binomial_rows("2026-11-03", (1000, 100), (1300, 130)))
    experiments_analyse([experiment.pk])

    alert = Alert.objects.get(kind="srm")
    assert "Sample ratio mismatch" in alert.message
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "operator",
        "cmo",
    }


def test_alert_emails_go_out_after_commit(
    experiment, analyst, cmo, django_capture_on_commit_callbacks
):
    upload(experiment, analyst, binomial_rows(control=(1000, 100), treatment=(1300, 130)))
    with django_capture_on_commit_callbacks(execute=True):
        experiments_analyse([experiment.pk])
    assert sorted(m.to[0] for m in mail.outbox) == ["cmo@example.com", "operator@example.com"]
    assert mail.outbox[0].subject.startswith("[GrowthOps] Sample ratio mismatch")


def test_sample_reached_alert(operator, analyst):
    experiment = running_experiment(operator, baseline=0.1, mde=0.5, daily_traffic=1000)
    needed = experiment_design(experiment).sample_size_per_variant
    upload(
        experiment, analyst, binomial_rows(control=(needed - 1, 100), treatment=(needed - 1, 110))
    )
    experiments_analyse([experiment.pk])
    assert not Alert.objects.filter(kind="sample_reached").exists()
    upload(experiment, analyst, binomial_rows("2026-11-03", (1, 0), (1, 0)))
    experiments_analyse([experiment.pk])
    assert Alert.objects.filter(kind="sample_reached").count() == 1


def test_no_sample_reached_alert_once_the_experiment_is_completed(operator, analyst):
    from experiments.lifecycle import experiment_complete

    experiment = running_experiment(operator, baseline=0.1, mde=0.5, daily_traffic=1000)
    needed = experiment_design(experiment).sample_size_per_variant
    upload(experiment, analyst, binomial_rows(control=(needed, 100), treatment=(needed, 110)))
    # Completed before the upload is analysed: the analysed look still has no users.
    experiment_complete(
        experiment_id=experiment.pk,
        actor=operator,
        analysis="Flat.",
        recommendation="abandon",
        override_reason="The sample is in; the analysis has not caught up yet.",
    )
    experiments_analyse([experiment.pk])
    assert Result.objects.filter(experiment=experiment).exists()
    assert not Alert.objects.filter(kind="sample_reached").exists()


def test_a_guardrail_significantly_worse_raises_an_alert(operator, analyst):
    unsubscribes = MetricFactory(key="unsubscribes", kind="binomial", direction="lower")
    experiment = running_experiment(operator)
    experiment.guardrail_metrics.add(unsubscribes)
    upload(
        experiment,
        analyst,
        binomial_rows(control=(5000, 50), treatment=(5000, 120), metric="unsubscribes"),
    )
    experiments_analyse([experiment.pk])
    alert = Alert.objects.get(kind="guardrail")
    assert alert.metric == unsubscribes and "b" in alert.message


def test_overdue_alert_for_a_running_experiment_past_its_duration(operator):
    experiment = running_experiment(operator)
    days = experiment_design(experiment).duration_days
    assert raise_overdue_alerts(today=START + dt.timedelta(days=days)) == 0
    assert raise_overdue_alerts(today=START + dt.timedelta(days=days + 1)) == 1
    assert raise_overdue_alerts(today=START + dt.timedelta(days=days + 2)) == 0
    assert Alert.objects.get(kind="overdue").experiment == experiment


def test_an_upload_succeeds_when_the_broker_is_down(
    experiment, analyst, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(experiment_analyse, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        upload(experiment, analyst, binomial_rows())
    assert Observation.objects.count() == 2
    assert AnalysisState.objects.get(experiment=experiment).stale
    assert not Result.objects.exists()

    assert experiments_to_sweep() == [experiment.pk]
    monkeypatch.undo()
    experiments_analyse_sweep.delay()  # the beat sweep, once the broker is back
    assert not AnalysisState.objects.get(experiment=experiment).stale
    assert Result.objects.filter(look=1).count() == 2


def test_many_experiments_are_analysed_in_one_pass(
    operator, analyst, django_assert_max_num_queries
):
    from roles.models import OperatorProfile

    OperatorProfile.objects.filter(user=operator).delete()
    experiments = []
    for i in range(12):
        e = running_experiment(operator, key=f"many-{i}")
        upload(e, analyst, binomial_rows(treatment=(1000, 100 + i)))
        experiments.append(e)
    with django_assert_max_num_queries(40):
        counts = experiments_analyse([e.pk for e in experiments])
    assert counts == {"experiments": 12, "results": 24, "skipped": 0}
    last = Result.objects.get(experiment=experiments[-1], variant__key="b")
    assert last.diff == pytest.approx(0.011)


def test_task_progress_is_reported_over_the_api(analyst, experiment):
    from rest_framework.test import APIClient

    upload(experiment, analyst, binomial_rows())
    task = experiments_analyse_sweep.delay()
    client = APIClient()
    client.force_authenticate(analyst)
    body = client.get(f"/api/v1/tasks/{task.id}/").json()
    assert body["state"] == "SUCCESS" and body["percent"] == 100.0
    assert body["result"]["experiments"] == 1
    assert client.get("/api/v1/tasks/not-a-task-id/").status_code == 404
    client.force_authenticate(None)
    assert client.get(f"/api/v1/tasks/{task.id}/").status_code == 401


def test_marking_stale_twice_bumps_the_version_twice(experiment):
    observations_changed([experiment.pk])
    observations_changed([experiment.pk, experiment.pk])
    assert AnalysisState.objects.get(experiment=experiment).data_version == 2


def test_a_sequential_experiment_is_judged_by_its_always_valid_p(operator, analyst):
    experiment = running_experiment(operator, sequential_tau=0.05, method="sequential")
    upload(experiment, analyst, binomial_rows(control=(3000, 300), treatment=(3000, 360)))
    experiments_analyse([experiment.pk])
    b = Result.objects.get(variant__key="b", metric__key="signups")
    assert b.method == "sequential"
    assert b.p_value_adjusted < 0.05 < b.sequential_p_value  # fixed-horizon says yes, mSPRT not yet
    assert b.significant is False


def test_alerts_show_up_for_their_recipients_and_can_be_marked_read(
    client, experiment, analyst, cmo, marketer
):
    upload(experiment, analyst, binomial_rows(control=(1000, 100), treatment=(1300, 130)))
    experiments_analyse([experiment.pk])
    client.force_login(cmo)
    page = client.get("/notifications/")
    assert page.context["unread_notifications"] == 1
    assert "Sample ratio mismatch" in page.content.decode()
    client.post("/notifications/read/")
    assert client.get("/notifications/").context["unread_notifications"] == 0
    assert Notification.objects.get(recipient=cmo).read_at is not None
    client.force_login(marketer)
    assert list(client.get("/notifications/").context["notifications"]) == []


def test_many_changed_experiments_are_queued_as_batches(
    operator, analyst, monkeypatch, django_capture_on_commit_callbacks
):
    from analytics.analysis import freshness
    from analytics.tasks import experiments_analyse_batch
    from roles.models import OperatorProfile

    OperatorProfile.objects.filter(user=operator).delete()
    experiments = [running_experiment(operator, key=f"batch-{i}") for i in range(5)]
    for e in experiments:
        upload(e, analyst, binomial_rows())
    monkeypatch.setattr(freshness, "BATCH_SIZE", 2)
    sent = []
    monkeypatch.setattr(experiment_analyse, "apply_async", lambda *a, **k: sent.append(("one", a)))
    original = experiments_analyse_batch.apply_async
    monkeypatch.setattr(
        experiments_analyse_batch,
        "apply_async",
        lambda args, **named: sent.append(("batch", args[0])) or original(args, **named),
    )

    with django_capture_on_commit_callbacks(execute=True):
        observations_changed([e.pk for e in experiments])  # as an events roll-up does

    ids = sorted(e.pk for e in experiments)
    assert sent == [("batch", ids[0:2]), ("batch", ids[2:4]), ("batch", ids[4:5])]
    assert not AnalysisState.objects.filter(stale=True).exists()
    assert Result.objects.filter(look=2).count() == 10  # 5 experiments × 2 variants


def test_a_batch_that_cannot_be_queued_leaves_its_experiments_stale(
    operator, analyst, monkeypatch, django_capture_on_commit_callbacks
):
    from analytics.tasks import experiments_analyse_batch
    from roles.models import OperatorProfile

    OperatorProfile.objects.filter(user=operator).delete()
    experiments = [running_experiment(operator, key=f"down-{i}") for i in range(3)]

    def broker_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(experiments_analyse_batch, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        observations_changed([e.pk for e in experiments])
    assert AnalysisState.objects.filter(stale=True).count() == 3
    assert sorted(experiments_to_sweep()) == sorted(e.pk for e in experiments)
