"""Filling an API path's placeholders to resolve it: any id, a task's uuid, a step's name."""

import uuid


class AnyId(dict):
    """``path.format_map(AnyId())``: a placeholder nobody names is "1"."""

    def __missing__(self, key):
        if key == "task":
            return str(uuid.uuid4())
        return "pause" if key == "step" else "1"
