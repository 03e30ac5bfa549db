"""The demo organisation, seeded by ``manage.py seed_demo``: above every app, it uses them only
as a user would, through their services and the lifecycle (docs/architecture.md)."""
