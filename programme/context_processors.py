from experiments.models import Experiment, ExperimentStatus
from roles.capabilities import can


def review_queue(request):
    """``review_count``: designs waiting for this reviewer (the "Review" badge); one query,
    and only for those who review. Their own experiments are not theirs to approve."""
    user = getattr(request, "user", None)
    if user is None or not can(user, "experiments.review"):
        return {}
    waiting = Experiment.objects.filter(status=ExperimentStatus.IN_REVIEW).exclude(owner=user)
    return {"review_count": waiting.count()}


def notices(request):
    """``unread_notices``: the count beside "Notices" in the top bar (one query; none for an
    htmx fragment, which has no top bar)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "htmx", False):
        return {}
    from .notices import unread_notices

    return {"unread_notices": unread_notices(user=user).count()}
