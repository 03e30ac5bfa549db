"""Agency partners over ``/api/v1/partners/``: the CMO reads, adds and edits them
(``partners.manage``) and adds their people (``POST /partners/{id}/users/``); a partner's own
people read their partner. Every write goes through ``roles.partners`` (audited)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from growthops.errors import ValidationFailed
from growthops.filters import LIST_FILTERS

from . import partners
from .models import Partner, User
from .permissions import HasAbility
from .selectors import partner_list_for_user


class AgencyPartnerSerializer(serializers.ModelSerializer):
    users = serializers.SerializerMethodField(help_text="Usernames of its people.")
    contact_email = serializers.CharField(read_only=True, help_text="An e-mail, or blank.")

    class Meta:
        model = Partner
        fields = ["id", *partners.PARTNER_FIELDS, "users"]
        read_only_fields = fields

    def get_users(self, partner) -> list[str]:
        return sorted(u.username for u in partner.users.all())


class _Strict:
    """Refuse fields the input does not take, so a misspelt or read-only one is not ignored."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: "Not a field this request takes." for name in unknown}
                )
        return super().to_internal_value(data)


class AgencyPartnerInputSerializer(_Strict, serializers.Serializer):
    name = serializers.CharField(max_length=200)
    contract_start = serializers.DateField(required=False, allow_null=True)
    contract_end = serializers.DateField(required=False, allow_null=True)
    monthly_fee = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False
    )
    fee_currency = serializers.CharField(max_length=3, required=False)
    media_billing = serializers.ChoiceField(Partner.MediaBilling.choices, required=False)
    media_markup = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)


class PartnerUserInputSerializer(_Strict, serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, write_only=True)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)


class PartnerUserSerializer(serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text="An e-mail, or blank.")

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "role", "partner"]
        read_only_fields = fields


def _sent(payload) -> dict:
    return {k: v for k, v in payload.validated_data.items() if k in payload.initial_data}


class PartnerViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Agency partners: contract, monthly fee, how media is billed, contact, and their people."""

    serializer_class = AgencyPartnerSerializer
    permission_classes = [HasAbility]
    required_abilities = {
        "create": "partners.manage",
        "partial_update": "partners.manage",
        "users": "partners.manage",
    }
    required_ability = "partners.scorecard"
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends = LIST_FILTERS
    filterset_fields = ["media_billing", "fee_currency"]
    search_fields = ["name", "contact_name"]
    ordering_fields = ["name", "monthly_fee", "contract_start", "contract_end"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return partner_list_for_user(user=self.request.user)

    @extend_schema(request=AgencyPartnerInputSerializer, responses={201: AgencyPartnerSerializer})
    def create(self, request):
        payload = AgencyPartnerInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        partner = partners.partner_create(actor=request.user, **_sent(payload))
        return Response(self._shown(partner.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AgencyPartnerInputSerializer(partial=True), responses=AgencyPartnerSerializer
    )
    def partial_update(self, request, pk=None):
        partner = self.get_object()
        payload = AgencyPartnerInputSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        partners.partner_update(partner_id=partner.pk, actor=request.user, **_sent(payload))
        return Response(self._shown(partner.pk))

    @extend_schema(request=PartnerUserInputSerializer, responses={201: PartnerUserSerializer})
    @action(detail=True, methods=["post"])
    def users(self, request, pk=None):
        """Add a sign-in for one of the partner's people (role ``partner``)."""
        partner = self.get_object()
        if not isinstance(request.data, dict):
            raise ValidationFailed({"body": "Send one JSON object."})
        payload = PartnerUserInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = partners.partner_user_create(actor=request.user, partner=partner, **_sent(payload))
        return Response(PartnerUserSerializer(user).data, status=status.HTTP_201_CREATED)

    def _shown(self, pk):
        return AgencyPartnerSerializer(self.get_queryset().get(pk=pk)).data
