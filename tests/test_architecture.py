"""Imports point one way: demo → webhooks → programme → warehouse → analytics → experiments →
roles
(docs/architecture.md)."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Each app and the apps it must never import (those above it).
ABOVE = {
    "roles": {"experiments", "analytics", "warehouse", "programme", "webhooks", "demo"},
    "experiments": {"analytics", "warehouse", "programme", "webhooks", "demo"},
    "analytics": {"warehouse", "programme", "webhooks", "demo"},
    "warehouse": {"programme", "webhooks", "demo"},
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


# Sizes a reader can hold in mind (STYLE.md): past these a module or a function is split.
MODULE_LINES = 500
FUNCTION_LINES = 80
APPS = (*ABOVE, "demo", "growthops")


def app_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def every_module():
    """The apps' modules, the tests' and the benchmarks'."""
    yield from app_modules()
    for folder in ("tests", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_module_outgrows_what_a_reader_holds():
    too_long = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path in every_module()
        if (lines := path.read_text().count("\n")) > MODULE_LINES
    ]
    assert too_long == []


def test_no_function_outgrows_what_a_reader_holds():
    too_long = [
        f"{path.relative_to(ROOT)}::{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for path in app_modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > FUNCTION_LINES
    ]
    assert too_long == []


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, name: str, known: set[str]) -> set[str]:
    """The project modules ``path`` imports, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                above = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*above, *([node.module] if node.module else [])])
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def test_no_module_imports_itself_round_a_circle():
    paths = {module_name(path): path for path in app_modules()}
    graph = {name: imported_modules(path, name, set(paths)) for name, path in paths.items()}
    circles = []
    for start in sorted(graph):
        # Depth-first from each module: a path that comes back to it is a circle.
        stack = [(start, (start,))]
        seen = set()
        while stack:
            node, trail = stack.pop()
            for nxt in sorted(graph[node]):
                if nxt == start:
                    circles.append(" → ".join((*trail, start)))
                elif nxt not in seen and nxt > start:
                    seen.add(nxt)
                    stack.append((nxt, (*trail, nxt)))
    assert circles == []


# Who may do what is asked of the capability table (roles/capabilities.py), never of a role.
ROLE_COMPARISON = re.compile(r"\.role\s*(==|!=)|(==|!=)\s*Role\.|role\s*==\s*[\"']")
# The table itself, and a role compared as data (an operator's profile is an operator's).
ROLE_AS_DATA = {"roles/capabilities.py", "experiments/teams.py"}


# Still comparing a role for a permission: to move to an ability.
def test_pages_and_code_ask_for_an_ability_never_compare_a_role():
    templates = sorted((ROOT / "templates").rglob("*.html"))
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in [*app_modules(), *templates]
        if str(path.relative_to(ROOT)) not in ROLE_AS_DATA
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if ROLE_COMPARISON.search(line)
    ]
    assert offenders == []
