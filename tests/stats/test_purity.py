"""analytics.stats is a pure numpy/scipy package: no Django, no pandas, no statsmodels."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "analytics" / "stats"
ALLOWED_ROOTS = {"numpy", "scipy", "__future__", "math", "dataclasses", "typing"}


def test_importing_the_engine_loads_no_django_module():
    code = (
        "import sys, json; import analytics.stats as s; "
        "s.analyse({'metric_type': 'binomial', 'higher_is_better': True, 'variants': ["
        "{'name': 'a', 'users': 10, 'conversions': 1}, {'name': 'b', 'users': 10, 'conversions': 2}]}); "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('django', 'pandas', 'statsmodels'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PACKAGE.parents[1],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_the_source_imports_only_numpy_scipy_and_the_standard_library():
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert roots <= ALLOWED_ROOTS, f"{path.name} imports {roots - ALLOWED_ROOTS}"
