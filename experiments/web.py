"""Helpers the HTML views share: pagination and the comment form of detail pages."""

from django.contrib import messages
from django.core.paginator import Paginator

from growthops.errors import ValidationFailed
from roles.capabilities import can

from . import services
from .forms import CommentForm, add_service_errors

PAGE_SIZE = 25


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    """One page of ``queryset`` from ``?page=`` (out-of-range pages show the last one)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def comment_form_for(request, *, bound: bool = True) -> CommentForm | None:
    """The comment form of a detail page, bound on POST (unless ``bound`` is false: a page
    redrawn after another form's POST); None for those who may not comment."""
    if not can(request.user, "comments.create"):
        return None
    return CommentForm(request.POST if bound and request.method == "POST" else None)


def comment_posted(request, form: CommentForm | None, **target) -> bool:
    """Save the posted comment through ``comment_create``; False (errors on the form) if refused."""
    if form is None or not form.is_valid():
        return False
    try:
        services.comment_create(actor=request.user, body=form.cleaned_data["body"], **target)
    except ValidationFailed as exc:
        add_service_errors(form, {"body" if k == "target" else k: v for k, v in exc.errors.items()})
        return False
    messages.success(request, "Comment added.")
    return True
