"""``GET /healthz``: does the database answer, and does the broker (when there is one)?"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, "ok"
    except Exception as exc:  # any failure means "not answering"
        return False, f"error: {exc.__class__.__name__}"


def _broker_ok() -> tuple[bool, str]:
    if not settings.REDIS_URL:
        return True, "in-process (no broker configured)"
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
        return True, "ok"
    except Exception as exc:
        return False, f"error: {exc.__class__.__name__}"


@never_cache
@require_GET
def healthz(request):
    db_ok, db_state = _database_ok()
    broker_ok, broker_state = _broker_ok()
    healthy = db_ok and broker_ok
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "database": db_state,
            "broker": broker_state,
        },
        status=200 if healthy else 503,
    )
