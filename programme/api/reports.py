"""Board packs over HTTP: ask for one (202, built by a task), follow its progress, fetch the PDF."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from growthops.errors import TransitionNotAllowed
from roles.permissions import HasAbility

from ..models import BoardReport
from ..reports.services import board_report_request


class PDFRenderer(BaseRenderer):
    """Lets a client ask for ``application/pdf``; the PDF itself is sent as it is stored."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class BoardReportSerializer(serializers.ModelSerializer):
    requested_by = serializers.StringRelatedField()
    pdf_url = serializers.SerializerMethodField(help_text="The PDF, once the pack is ready.")
    page_url = serializers.SerializerMethodField(help_text="The pack as a page, once ready.")

    class Meta:
        model = BoardReport
        fields = ["id", "period", "period_start", "period_end", "status", "progress"]
        fields += ["task_id", "requested_by", "created_at", "finished_at", "error"]
        fields += ["pdf_url", "page_url"]
        read_only_fields = fields

    def _url(self, report, name) -> str | None:
        if report.status != BoardReport.Status.READY:
            return None
        return self.context["request"].build_absolute_uri(reverse(name, args=[report.pk]))

    def get_pdf_url(self, report) -> str | None:
        return self._url(report, "report-pdf")

    def get_page_url(self, report) -> str | None:
        return self._url(report, "programme:report")


class BoardReportRequestSerializer(serializers.Serializer):
    period = serializers.ChoiceField(BoardReport.Period.choices)
    ending = serializers.DateField(
        required=False,
        help_text="A day in the month or quarter to report on; default: the last one ended.",
    )


class BoardReportViewSet(viewsets.GenericViewSet):
    """``/reports/``: board packs, newest period first; ``POST`` asks for one."""

    permission_classes = [HasAbility]
    required_abilities = {"GET": "results.read", "POST": "reports.build"}
    serializer_class = BoardReportSerializer
    renderer_classes = [JSONRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        # A refusal is JSON even where the PDF was asked for, as the schema says.
        if isinstance(response, Response) and isinstance(
            getattr(request, "accepted_renderer", None), PDFRenderer
        ):
            request.accepted_renderer, request.accepted_media_type = (
                JSONRenderer(),
                "application/json",
            )
        return super().finalize_response(request, response, *args, **kwargs)

    def get_queryset(self):
        return BoardReport.objects.select_related("requested_by").defer("content", "pdf")

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        report = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(self.get_serializer(report).data)

    @extend_schema(request=BoardReportRequestSerializer, responses={202: BoardReportSerializer})
    def create(self, request):
        body = BoardReportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = board_report_request(actor=request.user, **body.validated_data)
        report.refresh_from_db()  # the task id, and the status when tasks run in-process
        return Response(self.get_serializer(report).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF.")
        }
    )
    @action(
        detail=True, methods=["get"], url_path="pdf", renderer_classes=[JSONRenderer, PDFRenderer]
    )
    def pdf(self, request, pk=None):
        report = get_object_or_404(BoardReport.objects.only("status", "pdf", "period_start"), pk=pk)
        if report.status != BoardReport.Status.READY or not report.pdf:
            raise TransitionNotAllowed(
                f"The pack is {report.get_status_display().lower()}, not ready."
            )
        response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
        name = f"board-pack-{report.period_start:%Y-%m}.pdf"
        response["Content-Disposition"] = f'inline; filename="{name}"'
        return response
