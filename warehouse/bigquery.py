"""A ``bigquery`` source's queries on BigQuery, through Google's client (google-cloud-bigquery).

The connection setting is either a service account's JSON key (the source names the key file,
``file:/run/secrets/bigquery.json``: the project is the key's, tables are named
``dataset.table``), or a URL naming the project and the default dataset:

    bigquery://PROJECT/DATASET?credentials=/run/secrets/key.json&location=EU&maximum_bytes_billed=50000000000

without ``credentials``, the server's application-default credentials. ``endpoint`` points the
client at another address of the API (the tests' local stand-in, with ``credentials=anonymous``).
The key, its path and the setting never appear in a message.

Each query is one job: ``job_timeout_ms`` is the source's time limit (BigQuery stops the job),
the client waits that long plus a grace period and then cancels it; rows are read up to the row
cap + 1 (``max_results``), so ``engines.run`` refuses a result past the cap without reading it
all; ``maximum_bytes_billed`` (when set) makes BigQuery refuse a query that would bill more.
Reading only is the service account's roles (BigQuery Data Viewer, Job User: docs/warehouse.md).
"""

import json
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

SCHEME = "bigquery://"
# The client gives up this long after the job's own time limit, and cancels the job.
GRACE_SECONDS = 10
URL_OPTIONS = {"credentials", "location", "maximum_bytes_billed", "endpoint"}


class BigQueryFailed(Exception):
    """The query gave no rows; the message says why, for a person, and names no setting."""


class BigQueryTimedOut(BigQueryFailed):
    """The job ran past its time limit (``engines`` words it as for every engine)."""


@dataclass(frozen=True)
class Settings:
    project: str
    dataset: str  # the default dataset of unqualified table names ("": none)
    credentials: object  # google.auth credentials, or None for application-default ones
    location: str | None = None
    maximum_bytes_billed: int | None = None
    endpoint: str | None = None


def run(setting: str, sql: str, *, timeout_seconds: int, row_cap: int, dry_run: bool = False):
    """(columns, rows) of the query, at most ``row_cap`` + 1 rows. A dry run returns none:
    BigQuery checks the query, the credentials and the right to run jobs, and bills nothing."""
    rows = _query(setting, sql, timeout_seconds=timeout_seconds, row_cap=row_cap, dry_run=dry_run)
    columns = [field.name for field in rows.schema or ()]
    return columns, [tuple(row.values()) for row in rows]


def _query(setting: str, sql: str, *, timeout_seconds: int, row_cap: int, dry_run: bool):
    from google.api_core import exceptions
    from google.auth import exceptions as auth_exceptions
    from google.cloud import bigquery
    from requests import exceptions as http_exceptions

    settings = parse(setting)
    config = bigquery.QueryJobConfig(
        dry_run=dry_run,
        use_legacy_sql=False,
        job_timeout_ms=int(timeout_seconds) * 1000,
    )
    if settings.maximum_bytes_billed is not None:  # None would be sent as "None"
        config.maximum_bytes_billed = settings.maximum_bytes_billed
    if settings.dataset:
        config.default_dataset = f"{settings.project}.{settings.dataset}"
    wait = timeout_seconds + GRACE_SECONDS
    try:
        client = bigquery.Client(
            project=settings.project,
            credentials=settings.credentials,
            location=settings.location,
            client_options={"api_endpoint": settings.endpoint} if settings.endpoint else None,
        )
    except auth_exceptions.DefaultCredentialsError as exc:
        raise BigQueryFailed(
            "No BigQuery credentials: name a service account's key in the connection settings, "
            "or give the server application-default credentials (docs/warehouse.md)."
        ) from exc
    try:
        return client.query_and_wait(
            sql,
            job_config=config,
            max_results=int(row_cap) + 1,
            wait_timeout=wait,
            api_timeout=wait,
            retry=bigquery.DEFAULT_RETRY.with_timeout(wait),
            job_retry=None,  # a failed query is not sent again
        )
    except (FutureTimeout, http_exceptions.Timeout) as exc:
        raise BigQueryTimedOut(type(exc).__name__) from exc
    except exceptions.GoogleAPICallError as exc:
        reason, message = _api_error(exc)
        if reason == "timeout" or "timed out" in message.lower():
            raise BigQueryTimedOut(message) from exc
        raise BigQueryFailed(f"BigQuery refused the query: {message}") from exc
    except auth_exceptions.GoogleAuthError as exc:
        raise BigQueryFailed(
            f"BigQuery did not accept the credentials ({type(exc).__name__})."
        ) from exc
    except http_exceptions.RequestException as exc:
        raise BigQueryFailed(f"BigQuery did not answer ({type(exc).__name__}).") from exc
    finally:
        client.close()


def parse(text: str) -> Settings:
    """The setting's project, dataset, credentials and options; a message naming none of it
    when it is not one of the two forms."""
    text = (text or "").strip()
    if text.startswith("{"):
        return _from_key(text)
    if not text.startswith(SCHEME):
        raise BigQueryFailed(
            "The BigQuery connection settings are a service account's JSON key or a "
            "bigquery://PROJECT/DATASET URL (docs/warehouse.md)."
        )
    url = urlsplit(text)
    options = {name: values[-1] for name, values in parse_qs(url.query).items()}
    unknown = sorted(set(options) - URL_OPTIONS)
    if unknown or not url.hostname or "/" in url.path.strip("/"):
        raise BigQueryFailed(
            "The BigQuery URL in the connection settings is malformed: bigquery://PROJECT/DATASET"
            f" with {', '.join(sorted(URL_OPTIONS))} as options."
        )
    try:
        cap = int(options["maximum_bytes_billed"]) if "maximum_bytes_billed" in options else None
    except ValueError as exc:
        raise BigQueryFailed("maximum_bytes_billed in the BigQuery URL is not a number.") from exc
    return Settings(
        project=url.netloc,
        dataset=url.path.strip("/"),
        credentials=_credentials(options.get("credentials")),
        location=options.get("location"),
        maximum_bytes_billed=cap,
        endpoint=options.get("endpoint"),
    )


def _from_key(text: str) -> Settings:
    from google.cloud import bigquery
    from google.oauth2 import service_account

    try:
        info = json.loads(text)
        credentials = service_account.Credentials.from_service_account_info(
            info, scopes=bigquery.Client.SCOPE
        )
    except (ValueError, TypeError, KeyError) as exc:  # the key's text stays out of the message
        raise BigQueryFailed(
            "The BigQuery key in the connection settings is not a service account's JSON key."
        ) from exc
    return Settings(project=info.get("project_id") or "", dataset="", credentials=credentials)


def _credentials(option: str | None):
    if option is None:
        return None  # application-default credentials, found by the client
    if option == "anonymous":
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials()
    from google.cloud import bigquery
    from google.oauth2 import service_account

    try:
        return service_account.Credentials.from_service_account_file(
            option, scopes=bigquery.Client.SCOPE
        )
    except OSError as exc:
        raise BigQueryFailed(
            "The key file named in the BigQuery connection settings cannot be read."
        ) from exc
    except (ValueError, KeyError) as exc:
        raise BigQueryFailed(
            "The key file named in the BigQuery connection settings is not a service "
            "account's JSON key."
        ) from exc


def _api_error(exc) -> tuple[str, str]:
    """BigQuery's reason and message, without the request's URL (which names the project)."""
    for error in getattr(exc, "errors", None) or ():
        if isinstance(error, dict) and error.get("message"):
            return error.get("reason", ""), _short(str(error["message"]))
    message = str(getattr(exc, "message", "") or "")
    message = message.split(": ", 1)[-1] if "://" in message else message
    return "", _short(message) if message.strip() else type(exc).__name__


def _short(text: str) -> str:
    return text.strip().splitlines()[0][:300]
