import pytest

from experiments.models import Experiment, Hypothesis
from experiments.scores import ice_band
from tests.factories import ExperimentFactory, HypothesisFactory, MetricFactory


@pytest.mark.django_db
def test_it_computes_the_same_scores_in_sql_as_on_the_model():
    rice = HypothesisFactory(impact=8, confidence=7, ease=2, reach=2000, effort=3)
    ice_only = HypothesisFactory(impact=1, confidence=2, ease=2)
    rows = {h.pk: h for h in Hypothesis.objects.with_scores()}
    assert rows[rice.pk].ice_value == pytest.approx(17 / 3, abs=1e-12)
    assert rows[rice.pk].rice_value == pytest.approx(2000 * 8 * 0.7 / 3, abs=1e-9)
    assert (rows[rice.pk].ice_score, rows[rice.pk].rice_score) == (5.67, 3733.3)
    assert rows[ice_only.pk].ice_value == pytest.approx(5 / 3, abs=1e-12)
    assert rows[ice_only.pk].rice_value is None and ice_only.rice_score is None


@pytest.mark.parametrize(
    ("score", "band"), [(10, "high"), (7, "high"), (6.99, ""), (4, ""), (3.99, "low"), (1, "low")]
)
def test_it_colours_an_ice_score_by_its_band(score, band):
    assert ice_band(score) == band


@pytest.mark.django_db
def test_the_deciding_metric_is_the_primary_else_the_hypothesiss_in_python_and_in_sql():
    named = ExperimentFactory(primary_metric=MetricFactory(kind="mean"))
    unnamed = ExperimentFactory(primary_metric=None)
    assert named.deciding_metric == named.primary_metric != named.hypothesis.metric
    assert unnamed.deciding_metric == unnamed.hypothesis.metric
    rows = Experiment.objects.annotate(
        metric=Experiment.deciding_metric_column("id"),
        metric_kind=Experiment.deciding_metric_column("kind"),
    ).values_list("id", "metric", "metric_kind")
    assert set(rows) == {
        (named.pk, named.primary_metric_id, "mean"),
        (unnamed.pk, unnamed.hypothesis.metric_id, unnamed.hypothesis.metric.kind),
    }
