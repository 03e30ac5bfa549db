"""The programme's REST endpoints: the ledger, roll-ups and insights (mounted under /api/v1/ by
``growthops.api_urls``)."""
