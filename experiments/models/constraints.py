"""A check constraint that reports against one field."""

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, models

# The pure statistics engine (numpy and scipy only), not the analytics app: allowed from here.


class FieldCheckConstraint(models.CheckConstraint):
    """A check constraint that ``full_clean`` reports against one field, so forms and the
    API show its message beside that field rather than above the form."""

    def __init__(self, *, field: str, **kwargs):
        self.field = field
        super().__init__(**kwargs)

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        try:
            super().validate(model, instance, exclude=exclude, using=using)
        except ValidationError as error:
            raise ValidationError({self.field: error.error_list}) from error

    def deconstruct(self):
        _, args, kwargs = super().deconstruct()
        kwargs["field"] = self.field
        # The public path, so migrations do not depend on which module of the package holds it.
        return "experiments.models.FieldCheckConstraint", args, kwargs

    def __eq__(self, other):
        equal = super().__eq__(other)
        if equal is NotImplemented:  # not a constraint: let Python ask the other side
            return equal
        return equal and self.field == getattr(other, "field", None)
