"""An experiment named in an API path by its id or by its key: ``/api/v1/experiments/42/``
and ``/api/v1/experiments/spring-pricing/`` are the same experiment.

A value made only of digits is an id (keys are slugs, so one could be all digits: such an
experiment is reached by its id). The schema types the path parameter as a string and says so.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.openapi import AutoSchema

# What a path segment naming an experiment may be: an id, or a key (a slug).
EXPERIMENT_REF = r"[-a-zA-Z0-9_]+"
DESCRIPTION = (
    "The experiment's id (a whole number) or its key (letters, digits, hyphens and "
    "underscores); a value made only of digits is read as an id."
)


def experiment_ref(value: str) -> dict:
    """The look-up of the experiment ``value`` names: ``{"pk": …}`` or ``{"key": …}``."""
    value = str(value)
    if value.isascii() and value.isdecimal():
        return {"pk": int(value)}
    return {"key": value}


class ExperimentRefSchema(AutoSchema):
    """Path parameters naming an experiment (``id``, ``experiment_pk``) as id-or-key strings."""

    ref_parameters = frozenset({"id", "experiment_pk"})

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["name"] in self.ref_parameters:
                parameter["schema"] = {"type": "string", "pattern": f"^{EXPERIMENT_REF}$"}
                parameter["description"] = DESCRIPTION
        return parameters


class ExperimentByIdOrKey:
    """A viewset mixin: its detail routes take an experiment's id or key (``get_object``)."""

    lookup_value_regex = EXPERIMENT_REF
    schema = ExperimentRefSchema()

    def get_object(self):
        queryset = self.filter_queryset(self.get_queryset())
        value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        experiment = get_object_or_404(queryset, **experiment_ref(value))
        self.check_object_permissions(self.request, experiment)
        return experiment
