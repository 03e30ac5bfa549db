"""List filters shared by every app: ordering and search that refuse what they cannot use."""

from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=a,-b``; a field it cannot order by is a 400 naming it (DRF ignores it)."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            valid = {
                name for name, _ in self.get_valid_fields(queryset, view, {"request": request})
            }
            asked = [term.strip() for term in params.split(",") if term.strip()]
            unknown = [term for term in asked if term.lstrip("-") not in valid]
            if unknown:
                raise ValidationError(
                    {
                        self.ordering_param: f"Cannot order by {', '.join(unknown)}; "
                        f"choose from {', '.join(sorted(valid))}."
                    }
                )
        return super().get_ordering(request, queryset, view)


__all__ = ["StrictOrderingFilter", "SearchFilter"]
