"""``POST /api/v1/analyse/``: the statistics engine's JSON contract, stateless."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import viewsets
from rest_framework.response import Response

from growthops.errors import ValidationFailed
from roles.permissions import HasAbility

from ..stats import AnalysisInputError, analyse
from .parsers import JSONParser

EXAMPLE = {
    "metric_type": "binomial",
    "variants": [
        {"name": "control", "users": 1000, "conversions": 100},
        {"name": "B", "users": 1000, "conversions": 120},
    ],
}


class AnalyseViewSet(viewsets.ViewSet):
    """Analyse one metric's variants (control first) without storing anything.

    The request and response are ``analytics.stats.analyse``'s (docs/statistics.md);
    ``higher_is_better`` defaults to true. A bad request is a 400 naming every bad field.
    """

    permission_classes = [HasAbility]
    required_ability = "experiments.read"
    # A computation that writes nothing: a read-only service token may ask it.
    required_scopes = {"create": "read"}
    parser_classes = [JSONParser]

    @extend_schema(
        request=dict,
        responses={200: dict},
        examples=[OpenApiExample("Two arms, binomial", value=EXAMPLE, request_only=True)],
    )
    def create(self, request):
        try:
            return Response(analyse(request.data))
        except AnalysisInputError as exc:
            raise ValidationFailed(exc.errors) from exc
