"""The one pagination every API list uses: ``?limit`` and ``?offset``, with a ceiling."""

from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    """``?limit`` above ``max_limit`` is clamped to it, and ``?offset`` past the end is the end.

    Without a ceiling a huge ``?limit`` or ``?offset`` reaches the database as a number it
    cannot hold, a 500 instead of a page.
    """

    max_limit = 500

    def get_offset(self, request):
        # ``count`` is known by now (``paginate_queryset`` counts before it reads the offset).
        return min(super().get_offset(request), self.count)
