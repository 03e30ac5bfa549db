from rest_framework.routers import DefaultRouter

from growthops.api import ApiRootView

from .api import ExperimentViewSet, MetricViewSet, ObjectiveViewSet

router = DefaultRouter()
router.APIRootView = ApiRootView
router.register("objectives", ObjectiveViewSet, basename="objective")
router.register("metrics", MetricViewSet, basename="metric")
router.register("experiments", ExperimentViewSet, basename="experiment")

urlpatterns = router.urls
