def notifications(request):
    """``unread_notifications``: the count shown in the top bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .selectors import unread_notifications

    return {"unread_notifications": unread_notifications(user=user).count()}
