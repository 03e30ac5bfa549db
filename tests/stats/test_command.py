"""``manage.py analyse``: stdout JSON, stdin ``-``, exit status 2 on bad input, no traceback.

Two tests run the real ``manage.py`` in a process of its own (a good request from stdin, and a
bad one: exit status 2, one line on stderr, no traceback); the other cases call the same command
in-process, where the exit status is the ``CommandError``'s ``returncode`` that ``manage.py``
exits with (each process start costs seconds of importing numpy and scipy).
"""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

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
BAD_JSON = '{"metric_type": "binomial",'


def run(*args, stdin=""):
    """``manage.py analyse`` in a process of its own."""
    return subprocess.run(
        [sys.executable, "manage.py", "analyse", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def command(*args, stdin="", monkeypatch):
    """The same command in-process: (exit status, what it printed on stdout)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out = io.StringIO()
    try:
        call_command("analyse", *args, stdout=out)
    except CommandError as refused:
        return refused.returncode, out.getvalue()
    return 0, out.getvalue()


def test_the_process_reads_stdin_for_a_dash_and_prints_the_functions_json():
    done = run("-", stdin=json.dumps(REQUEST))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == analyse(REQUEST)


def test_the_process_exits_2_on_bad_input_with_one_line_and_no_traceback():
    done = run("-", stdin=BAD_JSON)
    assert done.returncode == 2
    assert "request" in json.loads(done.stdout)["errors"]
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == "CommandError: invalid analysis request"


def test_it_prints_the_same_json_as_the_function(tmp_path, monkeypatch):
    path = tmp_path / "request.json"
    path.write_text(json.dumps(REQUEST))
    status, out = command(str(path), monkeypatch=monkeypatch)
    assert status == 0
    assert json.loads(out) == analyse(REQUEST)


@pytest.mark.parametrize(
    ("stdin", "field"),
    [
        (json.dumps(REQUEST | {"alpha": 1.5}), "alpha"),
        (BAD_JSON, "request"),
        ("[1, 2]", "request"),
        (
            '{"metric_type": "binomial", "higher_is_better": true, "variants": [{"name": "c", '
            '"users": NaN, "conversions": 1}, {"name": "b", "users": 5, "conversions": 9}]}',
            "variants[0].users",
        ),
    ],
)
def test_bad_input_prints_errors_and_exits_2(stdin, field, monkeypatch):
    status, out = command("-", stdin=stdin, monkeypatch=monkeypatch)
    assert status == 2
    assert field in json.loads(out)["errors"]


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path, monkeypatch):
    status, out = command(str(tmp_path / "missing.json"), monkeypatch=monkeypatch)
    assert status == 2
    assert "file" in json.loads(out)["errors"]


def test_a_refused_request_names_the_field_and_its_problem(monkeypatch):
    status, out = command(
        "-", stdin=json.dumps(REQUEST | {"weights": [1.0]}), monkeypatch=monkeypatch
    )
    assert status == 2
    assert json.loads(out) == {
        "errors": {"weights": "must have one weight per variant (got 1 for 2 variants)"}
    }


def test_higher_is_better_may_be_omitted(monkeypatch):
    without = {k: v for k, v in REQUEST.items() if k != "higher_is_better"}
    status, out = command("-", stdin=json.dumps(without), monkeypatch=monkeypatch)
    assert status == 0
    assert json.loads(out) == analyse(REQUEST)
