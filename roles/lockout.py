"""What a locked-out person sees: why, and for how long (django-axes calls this).

Every lock-out answer is a 429 whose ``Retry-After`` is the cool-off (``AXES_COOLOFF_TIME``), in
whole seconds: when the lock lifts, counted from the last failure.
"""

import math

from axes.helpers import get_cool_off
from django.http import JsonResponse
from django.shortcuts import render


def lockout_message(request=None) -> str:
    minutes = int(get_cool_off(request).total_seconds() // 60)
    return (
        f"Too many failed sign-ins: you are locked out for {minutes} minutes. "
        "Try again after that, or ask an administrator to unlock you."
    )


def lockout_response(request, original_response=None, credentials=None):
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": lockout_message(request)}, status=429)
    else:
        context = {"message": lockout_message(request)}
        response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(max(1, math.ceil(get_cool_off(request).total_seconds())))
    return response
