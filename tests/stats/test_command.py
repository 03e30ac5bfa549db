"""``manage.py analyse``: stdout JSON, stdin ``-``, exit status 2 on bad input, no traceback."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.stats import analyse

ROOT = Path(__file__).resolve().parents[2]
REQUEST = {
    "metric_type": "binomial",
    "higher_is_better": True,
    "sequential_tau": 0.01,
    "variants": [
        {"name": "control", "users": 1000, "conversions": 100},
        {"name": "B", "users": 1000, "conversions": 120},
    ],
}


def run(*args, stdin=""):
    return subprocess.run(
        [sys.executable, "manage.py", "analyse", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_prints_the_same_json_as_the_function(tmp_path):
    path = tmp_path / "request.json"
    path.write_text(json.dumps(REQUEST))
    done = run(str(path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == analyse(REQUEST)


def test_it_reads_stdin_for_a_dash():
    done = run("-", stdin=json.dumps(REQUEST))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == analyse(REQUEST)


@pytest.mark.parametrize(
    ("stdin", "field"),
    [
        (json.dumps(REQUEST | {"alpha": 1.5}), "alpha"),
        ('{"metric_type": "binomial",', "request"),
        ("[1, 2]", "request"),
        (
            '{"metric_type": "binomial", "higher_is_better": true, "variants": [{"name": "c", '
            '"users": NaN, "conversions": 1}, {"name": "b", "users": 5, "conversions": 9}]}',
            "variants[0].users",
        ),
    ],
)
def test_bad_input_prints_errors_and_exits_2_without_a_traceback(stdin, field):
    done = run("-", stdin=stdin)
    assert done.returncode == 2
    assert field in json.loads(done.stdout)["errors"]
    assert "Traceback" not in done.stderr


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path):
    done = run(str(tmp_path / "missing.json"))
    assert done.returncode == 2
    assert "file" in json.loads(done.stdout)["errors"]
    assert "Traceback" not in done.stderr


def test_call_command_writes_to_stdout_and_raises_with_status_2(tmp_path, monkeypatch):
    settings = pytest.importorskip("django.conf").settings
    if not settings.configured:
        pytest.skip("Django settings are not configured (run with the django plugin)")
    from django.core.management import CommandError, call_command

    path = tmp_path / "request.json"
    path.write_text(json.dumps(REQUEST))
    out = io.StringIO()
    call_command("analyse", str(path), stdout=out)
    assert json.loads(out.getvalue()) == analyse(REQUEST)

    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(REQUEST | {"weights": [1.0]})))
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("analyse", "-", stdout=out)
    assert caught.value.returncode == 2
    assert json.loads(out.getvalue()) == {
        "errors": {"weights": "must have one weight per variant (got 1 for 2 variants)"}
    }


def test_higher_is_better_may_be_omitted():
    without = {k: v for k, v in REQUEST.items() if k != "higher_is_better"}
    done = run("-", stdin=json.dumps(without))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == analyse(REQUEST)
