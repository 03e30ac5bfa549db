"""Connection settings from where they live (the environment or a secret file), never stored.

A data source keeps only ``env:NAME`` or ``file:/path``; :func:`resolve` reads the value at the
moment a query runs. Nothing here logs or returns it to a page or the API.
"""

import os
from pathlib import Path


class SecretMissing(Exception):
    """The reference names nothing readable; the message names the reference, not a value."""


def resolve(reference: str) -> str:
    kind, _, name = (reference or "").partition(":")
    if kind == "env":
        value = os.environ.get(name)
        if value is None:
            raise SecretMissing(f"The environment variable {name} is not set on the server.")
        return value
    if kind == "file":
        try:
            return Path(name).read_text().strip()
        except OSError as exc:
            raise SecretMissing(f"The secret file {name} cannot be read.") from exc
    raise SecretMissing("The connection settings are named as env:NAME or file:/path.")
