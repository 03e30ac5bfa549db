"""``/api/v1/``: one router for every app's viewsets, and the API root that lists them."""

from rest_framework.routers import DefaultRouter

from analytics.api.events import EventViewSet
from analytics.api.portfolio import LedgerViewSet, RollupViewSet
from analytics.api.results import ExperimentDataViewSet, TaskViewSet
from experiments.api import ExperimentViewSet, MetricViewSet, ObjectiveViewSet
from roles.api import TokenViewSet

from .api import ApiRootView

router = DefaultRouter()
router.APIRootView = ApiRootView
router.register("auth/token", TokenViewSet, basename="api-token")
router.register("objectives", ObjectiveViewSet, basename="objective")
router.register("metrics", MetricViewSet, basename="metric")
router.register("experiments", ExperimentViewSet, basename="experiment")
# The experiment's data and results: detail actions on the same prefix, from analytics.
router.register("experiments", ExperimentDataViewSet, basename="experiment-data")
router.register("events", EventViewSet, basename="event")
router.register("tasks", TaskViewSet, basename="task")
router.register("rollups", RollupViewSet, basename="rollup")
router.register("ledger", LedgerViewSet, basename="ledger")

urlpatterns = router.urls
