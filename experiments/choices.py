"""Dropdowns read in alphabetical order of what they show (an objective's name, a segment's
path, a person's full name), whatever order the model keeps its rows in."""

from django import forms
from django.forms.models import ModelChoiceIterator

from roles.models import Channel


class ByLabel(ModelChoiceIterator):
    """A model field's choices sorted by their label; the empty choice stays first."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        choices = [self.choice(obj) for obj in self.queryset]
        yield from sorted(choices, key=lambda choice: str(choice[1]).casefold())


CHANNELS_BY_LABEL = sorted(Channel.choices, key=lambda choice: choice[1].casefold())


def sort_choices(form: forms.Form) -> forms.Form:
    """Sort each model dropdown of ``form`` by its labels, and the channels by name."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            field.iterator = ByLabel
            field.widget.choices = field.choices
        elif isinstance(field, forms.ChoiceField) and {v for v, _ in field.choices if v} == set(
            Channel.values
        ):
            blank = [c for c in field.choices if not c[0]]
            field.choices = blank + CHANNELS_BY_LABEL
    return form
