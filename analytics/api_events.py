"""Raw event ingestion over HTTP."""

urlpatterns = []
