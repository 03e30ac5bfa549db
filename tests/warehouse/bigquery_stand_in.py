"""A local stand-in for the part of BigQuery's REST API (v2) that google-cloud-bigquery calls to
run a query, backed by DuckDB. It is not BigQuery: it checks how we use the client (the job's
settings, paging, errors) and that the BigQuery SQL we render means what the DuckDB SQL means,
by transpiling each query from BigQuery's dialect to DuckDB's with sqlglot and running it on a
DuckDB file holding the tables.

Answered: ``jobs.query`` (POST …/queries, dry runs too), ``jobs.getQueryResults`` (GET
…/queries/ID), ``jobs.get``, ``jobs.cancel``, and ``tabledata.list`` of a job's result table
should the client page through one (these tests' queries do not). A service account's key whose ``token_uri`` is the stand-in's ``/token`` gets a token; a call
with no token (anonymous credentials) or that one is answered. A job runs in a thread and is
stopped at its ``jobTimeoutMs`` (an error with reason ``timeout``: BigQuery's own wording was
not checked); a call waits at most ``answer_within`` seconds for it, so a slower job is polled
as on BigQuery. Rows come in pages of at most ``maxResults`` with a page token. Each query
"processes" the whole file's size in bytes, which ``maximumBytesBilled`` is checked against.
"""

import contextlib
import datetime as dt
import json
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import duckdb
import sqlglot
from sqlglot import exp

PROJECT = "growthops-test"
DATASET = "analytics"
RESULTS_DATASET = "_stand_in_results"
DEFAULT_DATASET = {"projectId": PROJECT, "datasetId": DATASET}
TOKEN_PATH = "/token"  # a key file's token_uri may point here
TOKEN = "stand-in-token"
TYPES = {  # DuckDB's type → BigQuery's
    "VARCHAR": "STRING",
    "BIGINT": "INT64",
    "INTEGER": "INT64",
    "HUGEINT": "INT64",
    "SMALLINT": "INT64",
    "DOUBLE": "FLOAT64",
    "FLOAT": "FLOAT64",
    "DATE": "DATE",
    "TIMESTAMP": "DATETIME",
    "BOOLEAN": "BOOL",
}


class StandInError(Exception):
    def __init__(self, status, reason, message):
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message

    def body(self):
        error = {"reason": self.reason, "message": self.message}
        return {"error": {"code": self.status, "message": self.message, "errors": [error]}}


class Job:
    def __init__(self, stand_in, sql, default_dataset, timeout_ms):
        self.id = f"job_{uuid.uuid4().hex[:12]}"
        self.sql = sql
        self.done = threading.Event()
        self.error: StandInError | None = None
        self.cancelled = False
        self.columns, self.rows = [], []
        self._db = stand_in.db.cursor()
        self._thread = threading.Thread(
            target=self._run, args=(sql, default_dataset, timeout_ms), daemon=True
        )
        self._thread.start()

    def _run(self, sql, default_dataset, timeout_ms):
        timer = threading.Timer(timeout_ms / 1000, self._db.interrupt) if timeout_ms else None
        try:
            duck = to_duckdb(sql, default_dataset)
            if timer:
                timer.start()
            cursor = self._db.execute(duck)
            self.rows = cursor.fetchall()
            self.columns = [(d[0], bigquery_type(d[1])) for d in cursor.description]
        except StandInError as error:
            self.error = error
        except duckdb.InterruptException:
            self.error = (
                StandInError(
                    400, "stopped", "Job execution was cancelled: User requested cancellation"
                )
                if self.cancelled
                else StandInError(
                    400, "timeout", f"Job timed out after {timeout_ms / 1000:g} seconds."
                )
            )
        except duckdb.Error as error:
            self.error = StandInError(400, "invalidQuery", str(error).splitlines()[0])
        finally:
            if timer:
                timer.cancel()
            self._db.close()
            self.done.set()

    def cancel(self):
        self.cancelled = True
        with contextlib.suppress(duckdb.Error):  # it may have finished meanwhile
            self._db.interrupt()


def to_duckdb(sql: str, default_dataset: dict | None) -> str:
    """BigQuery SQL as DuckDB SQL, tables of the stand-in's dataset unqualified (as its file
    holds them); BigQuery's answer when a table names no dataset and none is the default."""
    try:
        tree = sqlglot.parse_one(sql, read="bigquery")
    except sqlglot.errors.ParseError as error:
        raise StandInError(400, "invalidQuery", f"Syntax error: {error}") from error
    steps = {cte.alias for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if table.db:
            if table.db != DATASET or table.catalog not in ("", PROJECT):
                name = f"{table.catalog or PROJECT}:{table.db}"
                raise StandInError(404, "notFound", f"Not found: Dataset {name} was not found")
            table.set("db", None)
            table.set("catalog", None)
        elif table.name not in steps and default_dataset != DEFAULT_DATASET:
            raise StandInError(
                400,
                "invalid",
                f'Table "{table.name}" must be qualified with a dataset (e.g. dataset.table).',
            )
    return tree.sql("duckdb")


def bigquery_type(duckdb_type) -> str:
    name = str(duckdb_type).upper()
    if name.startswith("DECIMAL"):
        return "FLOAT64"
    return TYPES.get(name, "STRING")


def cell(value):
    """A value as BigQuery's JSON rows carry it: a string (DATETIME in ISO form), or null."""
    if value is None:
        return {"v": None}
    if isinstance(value, bool):
        return {"v": "true" if value else "false"}
    return {"v": value.isoformat() if isinstance(value, dt.datetime) else str(value)}


class StandIn:
    """``with StandIn(path) as stand_in:`` serves on ``stand_in.endpoint``; ``requests`` keeps
    each call (method, path, query string, body) for the tests to read."""

    def __init__(self, duckdb_path, answer_within=0.5, stops_jobs=True):
        # One thread: a job left running (the tests' slow query) takes one core, not all.
        self.db = duckdb.connect(duckdb_path, read_only=True, config={"threads": 1})
        self.answer_within = answer_within
        self.stops_jobs = stops_jobs  # False: a job runs past its jobTimeoutMs
        self.jobs: dict[str, Job] = {}
        self.by_request_id: dict[str, Job] = {}
        self.requests: list[tuple[str, str, dict, dict]] = []
        # (seconds since the stand-in started, method and path, seconds to answer) of each call
        self.timeline: list[tuple[float, str, float]] = []
        self.started = time.monotonic()
        self.authorizations: list[str | None] = []
        # What each query "processes" here, for maximumBytesBilled: the whole file.
        self.bytes_processed = os.path.getsize(duckdb_path)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        for job in self.jobs.values():
            job.cancel()
            job.done.wait(10)
        self.db.close()

    def url(self, **options) -> str:
        """A source's connection setting for this stand-in."""
        options = {"credentials": "anonymous", "endpoint": self.endpoint, **options}
        query = "&".join(f"{k}={v}" for k, v in options.items())
        return f"bigquery://{PROJECT}/{DATASET}?{query}"

    # --- the API -----------------------------------------------------------------------

    def answer(self, method, path, params, body):
        self.requests.append((method, path, params, body))
        parts = path.removeprefix("/bigquery/v2/").split("/")
        if parts[:1] != ["projects"] or len(parts) < 3:
            raise StandInError(404, "notFound", f"Not found: {path}")
        if parts[1] != PROJECT:
            raise StandInError(
                403,
                "accessDenied",
                f"Access Denied: Project {parts[1]}: User does not have bigquery.jobs.create "
                f"permission in project {parts[1]}.",
            )
        route = tuple(parts[2:])
        if method == "POST" and route == ("queries",):
            return self.query(body)
        if method == "GET" and len(route) == 2 and route[0] == "queries":
            return self.query_results(self.job(route[1]), params)
        if method == "GET" and len(route) == 2 and route[0] == "jobs":
            return self.job_resource(self.job(route[1]))
        if method == "POST" and len(route) == 3 and route[::2] == ("jobs", "cancel"):
            job = self.job(route[1])
            job.cancel()
            return {"kind": "bigquery#jobCancelResponse", "job": self.job_resource(job)}
        if method == "GET" and len(route) == 5 and route[::2] == ("datasets", "tables", "data"):
            job = self.job(route[3].removeprefix("anon_"))
            return self.rows_page(job, params, "bigquery#tableDataList")
        raise StandInError(400, "invalid", f"The stand-in does not answer {method} {path}")

    def job(self, job_id) -> Job:
        if job_id not in self.jobs:
            raise StandInError(404, "notFound", f"Not found: Job {PROJECT}:{job_id}")
        return self.jobs[job_id]

    def query(self, body):
        if body.get("useLegacySql", True):
            raise StandInError(400, "invalid", "The stand-in speaks standard SQL only.")
        default_dataset = body.get("defaultDataset")
        cap = body.get("maximumBytesBilled")
        if cap is not None and not str(cap).isdigit():
            raise StandInError(400, "invalid", f"Invalid value for maximumBytesBilled: {cap}")
        if cap is not None and int(cap) < self.bytes_processed and not body.get("dryRun"):
            raise StandInError(
                400,
                "bytesBilledLimitExceeded",
                f"Query exceeded limit for bytes billed: {cap}. "
                f"{self.bytes_processed} or higher required.",
            )
        if body.get("dryRun"):
            try:
                self.db.cursor().execute("EXPLAIN " + to_duckdb(body["query"], default_dataset))
            except duckdb.Error as error:
                raise StandInError(400, "invalidQuery", str(error).splitlines()[0]) from error
            return {
                "kind": "bigquery#queryResponse",
                "jobComplete": True,
                "totalBytesProcessed": "0",
                "cacheHit": False,
            }
        # The client sends the call again when the answer is late, with the same requestId.
        # BigQuery promises to treat such a repeat as the same query only for queries that
        # write; the stand-in always does, so a late answer on a busy machine does not leave a
        # second job running that the client never hears of.
        job = self.by_request_id.get(body.get("requestId"))
        if job is None:
            timeout_ms = int(body.get("jobTimeoutMs") or 0) if self.stops_jobs else 0
            job = Job(self, body["query"], default_dataset, timeout_ms)
            self.jobs[job.id] = job
            if body.get("requestId"):
                self.by_request_id[body["requestId"]] = job
        answer = self.query_results(job, {"maxResults": [body.get("maxResults", "")]}, body)
        answer["kind"] = "bigquery#queryResponse"
        return answer

    def query_results(self, job, params, body=None):
        # How long the caller lets the call wait: jobs.query's body says, getQueryResults's
        # parameters do; 10 s if neither does (BigQuery's default).
        asked = (body or {}).get("timeoutMs") or _one(params, "timeoutMs") or 10_000
        wait = min(self.answer_within, int(asked) / 1000)
        if not job.done.wait(wait):
            return {
                "kind": "bigquery#getQueryResultsResponse",
                "jobReference": self.reference(job),
                "jobComplete": False,
            }
        if job.error:
            raise job.error
        return self.rows_page(job, params, "bigquery#getQueryResultsResponse")

    def rows_page(self, job, params, kind):
        start = int(_one(params, "pageToken") or _one(params, "startIndex") or 0)
        size = _one(params, "maxResults")
        end = len(job.rows) if size in (None, "") else start + int(size)
        answer = {
            "kind": kind,
            "jobReference": self.reference(job),
            "jobComplete": True,
            "schema": {"fields": [{"name": n, "type": t} for n, t in job.columns]},
            "totalRows": str(len(job.rows)),
            "rows": [{"f": [cell(v) for v in row]} for row in job.rows[start:end]],
            "totalBytesProcessed": "0",
            "cacheHit": False,
        }
        if end < len(job.rows):
            answer["pageToken"] = str(end)
        return answer

    def reference(self, job):
        return {"projectId": PROJECT, "jobId": job.id, "location": "US"}

    def job_resource(self, job):
        status = {"state": "DONE" if job.done.is_set() else "RUNNING"}
        if job.error:
            status["errorResult"] = {"reason": job.error.reason, "message": job.error.message}
            status["errors"] = [status["errorResult"]]
        return {
            "kind": "bigquery#job",
            "id": f"{PROJECT}:US.{job.id}",
            "jobReference": self.reference(job),
            "configuration": {
                "jobType": "QUERY",
                "query": {
                    "query": job.sql,
                    "destinationTable": {
                        "projectId": PROJECT,
                        "datasetId": RESULTS_DATASET,
                        "tableId": f"anon_{job.id}",
                    },
                },
            },
            "status": status,
            "statistics": {"query": {"statementType": "SELECT", "totalBytesProcessed": "0"}},
        }


def _one(params, name):
    values = params.get(name)
    return values[0] if values else None


def _handler(stand_in):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self):
            began = time.monotonic()
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            authorization = self.headers.get("Authorization")
            stand_in.authorizations.append(authorization)
            if url.path == TOKEN_PATH:  # a service account's signed assertion, for a token
                stand_in.requests.append((self.command, url.path, {}, {}))
                status, answer = 200, {"access_token": TOKEN, "expires_in": 3600}
            elif authorization not in (None, f"Bearer {TOKEN}"):
                status, answer = 401, StandInError(401, "unauthorized", "Invalid token").body()
            else:
                try:
                    body = json.loads(raw) if raw else {}
                    status, answer = (
                        200,
                        stand_in.answer(self.command, url.path, parse_qs(url.query), body),
                    )
                except StandInError as error:
                    status, answer = error.status, error.body()
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            stand_in.timeline.append(
                (
                    round(began - stand_in.started, 2),
                    f"{self.command} {url.path}",
                    round(time.monotonic() - began, 2),
                )
            )

        do_GET = do_POST = _serve

        def log_message(self, *args):
            pass

    return Handler
