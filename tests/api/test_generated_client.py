"""A Python client generated from the live schema (openapi-python-client) works: every module
imports, and an analyst's day runs through it against a live server with every 2xx answer
parsed into the schema's objects. A TypeScript client's types (openapi-typescript) type-check.

Generation runs once per run, into the run's temporary directory, for all its test processes. Two generator quirks are handled
here, not in the schema: ``text/csv``, ``application/x-ndjson`` and ``application/pdf`` bodies are
bytes to it (``content_type_overrides``), and its template tests a body against ``list[X]``,
which Python refuses, where a JSON array and a CSV body are both offered (patched to ``list``).
"""

import hashlib
import importlib
import json
import os
import pkgutil
import shutil
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
import yaml
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token

from tests.analytics.helpers import binomial_rows, running_experiment
from tests.migrated_schema import _locked

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "growthops_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
CONFIG = {
    "project_name_override": PACKAGE,
    "package_name_override": PACKAGE,
    "post_hooks": [],
    "content_type_overrides": {
        "text/csv": "application/octet-stream",
        "application/x-ndjson": "application/octet-stream",
        "application/pdf": "application/octet-stream",
    },
}
LIST_BODY_CHECK = (
    "isinstance(body, {{body.prop.get_type_string(no_optional=True) | as_unembedded_code }})"
)


def live_schema() -> dict:
    """The schema as ``/api/schema/`` serves it to anyone."""
    return SchemaGenerator().get_schema(request=None, public=True)


def _patched_template() -> tuple[str, str]:
    """The generator's endpoint template (its file name and text), patched as said above."""
    import openapi_python_client

    source = Path(openapi_python_client.__file__).parent / "templates" / "endpoint_module.py.jinja"
    text = source.read_text()
    assert LIST_BODY_CHECK in text, "the generator's template changed: check the patch"
    return source.name, text.replace(LIST_BODY_CHECK, LIST_BODY_CHECK.replace(
        "get_type_string(no_optional=True)", "get_instance_type_string()"
    ))  # fmt: skip


def _generate(schema: str, template: tuple[str, str], work: Path) -> None:
    """Generate the package into ``work``, with the generator's output in ``work/output.txt``
    (written last: the folder is whole once it exists)."""
    shutil.rmtree(work, ignore_errors=True)
    (work / "templates").mkdir(parents=True)
    name, text = template
    (work / "templates" / name).write_text(text)
    (work / "schema.json").write_text(schema)
    (work / "config.yml").write_text(yaml.safe_dump(CONFIG))
    run = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(work / "schema.json"),
            "--output-path",
            str(work / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(work / "config.yml"),
            "--custom-template-path",
            str(work / "templates"),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    (work / "output.txt").write_text(run.stdout)


def _client_for(schema: str, shared: Path) -> tuple[Path, str]:
    """The folder holding the package generated from ``schema``, and the generator's output.
    Generated once for all the run's test processes (about 5 s of CPU each time): the first
    that asks generates it under a lock, the others wait for it and import the same files.
    The folder is named by the schema, the generator's version, its settings and the patched
    template, so a changed one is generated afresh."""
    import openapi_python_client

    template = _patched_template()
    digest = hashlib.sha256(
        "\0".join(
            [schema, openapi_python_client.__version__, json.dumps(CONFIG), *template]
        ).encode()
    ).hexdigest()[:16]
    work = shared / f"generated-client-{digest}"
    with _locked(work):
        if not (work / "output.txt").exists():
            _generate(schema, template, work)
    return work, (work / "output.txt").read_text()


def _run_folder(tmp_path_factory) -> Path:
    """The run's temporary folder that every test process sees (under ``-n`` each has its own
    folder inside it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """(the imported package, the modules that failed to import, the generator's warnings)."""
    if not GENERATOR.exists():
        pytest.fail("openapi-python-client is missing: pip install -e '.[dev]'")
    work, output = _client_for(
        json.dumps(live_schema(), default=str), _run_folder(tmp_path_factory)
    )
    sys.path.insert(0, str(work))
    try:
        package = importlib.import_module(PACKAGE)
        failed = {}
        for module in pkgutil.walk_packages(package.__path__, f"{PACKAGE}."):
            try:
                importlib.import_module(module.name)
            except Exception as exc:  # noqa: BLE001 - every failure is reported
                failed[module.name] = repr(exc)
        yield package, failed, output
    finally:
        sys.path.remove(str(work))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_every_generated_module_imports_and_the_generator_warns_of_nothing(generated):
    package, failed, output = generated
    assert failed == {}
    assert "Warning" not in output, output
    operations = [
        (path, method)
        for path, item in live_schema()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    modules = list(pkgutil.iter_modules(importlib.import_module(f"{PACKAGE}.api.v1").__path__))
    assert len(modules) == len(operations)  # every operation of the API has its module


class Answers:
    """Every answer the day gets, so that the test can say none was left unparsed."""

    def __init__(self):
        self.seen = []

    def __call__(self, response, status=200):
        self.seen.append(response)
        assert response.status_code == status, (response.status_code, response.content[:500])
        assert response.parsed is not None, response.content[:500]
        return response.parsed


@pytest.fixture
def public_dns(monkeypatch):
    monkeypatch.setattr(
        "webhooks.safety.resolve",
        lambda host, port: ["93.184.215.14"] if host == "hooks.example.com" else [host],
    )


def test_an_analysts_day_through_the_generated_client(
    generated, live_server, analyst, operator, cmo, public_dns
):
    package, failed, _ = generated
    assert failed == {}
    from growthops_client import AuthenticatedClient
    from growthops_client.api.v1 import (
        v1_experiments_list,
        v1_experiments_observations_create,
        v1_experiments_observations_list,
        v1_experiments_results_retrieve,
        v1_experiments_steps_create,
        v1_tokens_create,
        v1_webhooks_create,
    )
    from growthops_client.models import (
        EndpointWithSecretRequest,
        EventsEnum,
        ExperimentStatusEnum,
        ObservationRequest,
        ServiceTokenCreateRequest,
        StepRequest,
        V1ExperimentsStepsCreateStep,
        ValidationProblem,
    )
    from growthops_client.models.scopes_enum import ScopesEnum
    from growthops_client.types import File

    experiment = running_experiment(operator, key="pricing-page")
    running_experiment(operator, key="checkout")  # a second, for paging
    parsed = Answers()

    def client(token, prefix="Bearer"):
        return AuthenticatedClient(base_url=live_server.url, token=token, prefix=prefix)

    # Morning: a service token for the nightly job, made with the personal token.
    personal = client(Token.objects.create(user=analyst).key, prefix="Token")
    made = parsed(
        v1_tokens_create.sync_detailed(
            client=personal,
            body=ServiceTokenCreateRequest(
                name="warehouse", scopes=[ScopesEnum.READ, ScopesEnum.UPLOAD], days=30
            ),
        ),
        201,
    )
    assert made.secret.startswith("go_") and made.scopes == [ScopesEnum.READ, ScopesEnum.UPLOAD]
    job = client(made.secret)

    # Paged lists.
    first = parsed(v1_experiments_list.sync_detailed(client=job, page_size=1, ordering="key"))
    second = parsed(
        v1_experiments_list.sync_detailed(client=job, page_size=1, page=2, ordering="key")
    )
    assert first.count == 2 and [e.key for e in first.results + second.results] == [
        "checkout",
        "pricing-page",
    ]
    assert isinstance(first.results[0].id, int)

    # Uploads: JSON rows, then a CSV table; a bad row is a problem listing it.
    rows = [ObservationRequest.from_dict(row) for row in binomial_rows("2026-11-02")]
    written = parsed(
        v1_experiments_observations_create.sync_detailed("pricing-page", client=job, body=rows),
        201,
    )
    assert written.written == 2 and written.analysis_task_id
    csv = (
        "date,variant,metric,users,conversions,sum,sum_squares\n"
        "2026-11-03,control,signups,1000,100,,\n2026-11-03,b,signups,1000,130,,\n"
    )
    upload = File(payload=BytesIO(csv.encode()), file_name="day.csv", mime_type="text/csv")
    written = parsed(
        v1_experiments_observations_create.sync_detailed(
            str(experiment.pk), client=job, body=upload
        ),
        201,
    )
    assert written.written == 2
    bad = File(payload=BytesIO(csv.replace("1000,130,", "1000,1300,").encode()))
    refused = v1_experiments_observations_create.sync_detailed("pricing-page", client=job, body=bad)
    assert refused.status_code == 400 and isinstance(refused.parsed, ValidationProblem)
    [problem] = refused.parsed.errors
    assert (problem.row, problem.field) == (2, "conversions"), problem
    stored = parsed(v1_experiments_observations_list.sync_detailed("pricing-page", client=job))
    assert stored.count == 4

    # Results, and their history.
    latest = parsed(v1_experiments_results_retrieve.sync_detailed("pricing-page", client=job))
    assert latest and {r.metric for r in latest} == {"signups"}
    history = parsed(
        v1_experiments_results_retrieve.sync_detailed("pricing-page", client=job, history=True)
    )
    assert len(history.results) >= 1

    # A CSV export: content negotiation the generator cannot express, through its HTTP client.
    export = job.get_httpx_client().get("/api/v1/experiments/", params={"format": "csv"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert export.text.splitlines()[0].startswith("id,") and len(export.text.splitlines()) == 3

    # The operator pauses the test; the CMO registers a webhook.
    owner = client(Token.objects.create(user=operator).key)
    done = parsed(
        v1_experiments_steps_create.sync_detailed(
            "pricing-page",
            V1ExperimentsStepsCreateStep.PAUSE,
            client=owner,
            body=StepRequest(expected_status=ExperimentStatusEnum.RUNNING),
        )
    )
    assert done.status == ExperimentStatusEnum.PAUSED
    hook = parsed(
        v1_webhooks_create.sync_detailed(
            client=client(Token.objects.create(user=cmo).key),
            body=EndpointWithSecretRequest(
                url="https://hooks.example.com/growthops", events=[EventsEnum.EXPERIMENT_KILLED]
            ),
        ),
        201,
    )
    assert hook.secret and hook.id

    assert len(parsed.seen) == 10 and all(r.parsed is not None for r in parsed.seen)


# --- TypeScript ------------------------------------------------------------------------------


TS_CLIENT = """\
import type { components, paths } from "./schema";

type Experiment = components["schemas"]["Experiment"];
type Problem = components["schemas"]["ValidationProblem"];
type ListQuery = NonNullable<paths["/api/v1/experiments/"]["get"]["parameters"]["query"]>;

export async function experiments(base: string, token: string, query: ListQuery): Promise<Experiment[]> {
  const params = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  const answer = await fetch(`${base}/api/v1/experiments/?${params}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!answer.ok) {
    const problem = (await answer.json()) as Problem;
    throw new Error(problem.errors.map((e) => `${e.field ?? e.row ?? e.index}: ${e.message}`).join("; "));
  }
  const page = (await answer.json()) as paths["/api/v1/experiments/"]["get"]["responses"][200]["content"]["application/json"];
  const id: number = page.results[0].id;
  return id >= 0 ? page.results : [];
}
"""


def test_typescript_types_from_the_schema_type_check(tmp_path):
    """openapi-typescript writes the schema's types; tsc checks a small client against them."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed (CI installs it: .ci/run runs npm ci)")
    bin_dir = ROOT / "node_modules" / ".bin"
    if not (bin_dir / "openapi-typescript").exists() or not (bin_dir / "tsc").exists():
        pytest.fail("node_modules is missing: run `npm ci` at the project's root")
    (tmp_path / "schema.json").write_text(json.dumps(live_schema(), default=str))
    generate = subprocess.run(
        [str(bin_dir / "openapi-typescript"), "schema.json", "-o", "schema.ts"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert generate.returncode == 0, generate.stdout + generate.stderr
    (tmp_path / "client.ts").write_text(TS_CLIENT)
    check = subprocess.run(
        [
            str(bin_dir / "tsc"),
            "--noEmit",
            "--strict",
            "--target",
            "es2022",
            "--module",
            "es2022",
            "--moduleResolution",
            "bundler",
            "--lib",
            "es2022,dom",
            "client.ts",
        ],  # fmt: skip
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
