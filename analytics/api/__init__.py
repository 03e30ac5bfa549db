"""The analytics REST endpoints (mounted under /api/v1/ by ``api.urls``)."""
