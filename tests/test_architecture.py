"""Imports point one way: demo → webhooks → programme → analytics → experiments → roles
(docs/architecture.md)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Each app and the apps it must never import (those above it).
ABOVE = {
    "roles": {"experiments", "analytics", "programme", "webhooks", "demo"},
    "experiments": {"analytics", "programme", "webhooks", "demo"},
    "analytics": {"programme", "webhooks", "demo"},
    "programme": {"webhooks", "demo"},
    "webhooks": {"demo"},
}


# The statistics engine is a pure library (numpy and scipy only): any app may use it.
LIBRARIES = ("analytics.stats",)


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    modules = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.append(node.module)
    return {m.split(".")[0] for m in modules if not m.startswith(LIBRARIES)}


@pytest.mark.parametrize("app", sorted(ABOVE))
def test_an_app_never_imports_the_apps_above_it(app):
    offenders = [
        f"{path.relative_to(ROOT)} imports {', '.join(sorted(imported_apps(path) & ABOVE[app]))}"
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts and imported_apps(path) & ABOVE[app]
    ]
    assert offenders == []
