"""``__in`` on an integer column, for values the column cannot hold.

Django already answers ``id = 99999999999999999999`` (and ``>``, ``<``…) by what the number
means: no row can match (``IntegerFieldOverflow``). ``__in`` has no such rule, and SQLite's
driver raises OverflowError binding an integer beyond 64 bits, so ``?members=`` with such an
id (django-filter checks the ids of a many-to-many filter with ``pk__in``) was a 500 on SQLite
and a 400 on PostgreSQL. Leaving the impossible values out gives both databases PostgreSQL's
answer: no such row, which the filter's form reports as an invalid choice.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import IntegerField
from django.db.models.lookups import In


@IntegerField.register_lookup
class IntegerFieldIn(In):
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(
                self.lhs.output_field.get_internal_type()
            )
            self.rhs = [value for value in self.rhs if _fits(value, low, high)]
            if not self.rhs:
                raise EmptyResultSet
        return super().process_rhs(compiler, connection)


def _fits(value, low, high) -> bool:
    if not isinstance(value, int):
        return True  # None and expressions: In's own rules
    return (low is None or value >= low) and (high is None or value <= high)
