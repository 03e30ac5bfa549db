import re
from pathlib import Path

from webhooks.models import WebhookEndpoint

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def documented_verify():
    """The ``verify`` function exactly as docs/webhooks.md shows it to receivers."""
    section = DOC.read_text().split("## Verifying the signature", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)
    return namespace["verify"]


def endpoint(receiver, creator, events=("experiment.approved",), **fields) -> WebhookEndpoint:
    """An endpoint made directly (the services check URLs; their tests say so)."""
    return WebhookEndpoint.objects.create(
        url=receiver.url if hasattr(receiver, "url") else receiver,
        events=list(events),
        secret="s3cret-for-tests",
        created_by=creator,
        **fields,
    )
