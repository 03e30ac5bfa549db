"""What a locked-out person sees: why, and for how long (django-axes calls this)."""

from axes.helpers import get_cool_off
from django.http import JsonResponse
from django.shortcuts import render


def lockout_message() -> str:
    minutes = int(get_cool_off().total_seconds() // 60)
    return (
        f"Too many failed sign-ins: you are locked out for {minutes} minutes. "
        "Try again after that, or ask an administrator to unlock you."
    )


def lockout_response(request, original_response=None, credentials=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": lockout_message()}, status=429)
    return render(
        request, "registration/locked_out.html", {"message": lockout_message()}, status=429
    )
