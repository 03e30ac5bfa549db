from .capabilities import abilities_of


def capabilities(request):
    """``abilities`` in every template, so buttons show only for those who may press them."""
    return {"abilities": abilities_of(getattr(request, "user", None))}
