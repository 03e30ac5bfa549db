"""Files to download from the experiment page: its latest results as CSV or JSON, its stored
daily observations as CSV (in the upload's own format), and the upload's template. Each asks
who is asking: the experiment must be one they may read (else 404), the template one they may
upload to."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404

from experiments.selectors import experiment_list_for_user
from growthops.renderers import CSV_BATCH, csv_response, in_batches
from roles.permissions import require_ability

from .api.results import RESULT_ROWS, latest_results_presented
from .ingest.observations import CSV_HEADER, CSV_OPTIONAL
from .ingest.store import NUMBERS
from .upload_guide import template_csv

# The upload's own columns: the file goes back in as it is.
OBSERVATION_COLUMNS = [*CSV_HEADER, *CSV_OPTIONAL]


def _readable(request, pk: int):
    require_ability(request, "experiments.read")
    return get_object_or_404(
        experiment_list_for_user(user=request.user)
        .select_related(None)
        .only("id", "key", "owner_id"),
        pk=pk,
    )


def _attachment(response, experiment, what: str):
    response["Content-Disposition"] = f'attachment; filename="{experiment.key}-{what}"'
    return response


@login_required
def results_csv(request, pk: int):
    experiment = _readable(request, pk)
    response = csv_response(RESULT_ROWS.field_names, [latest_results_presented(experiment.pk)])
    return _attachment(response, experiment, "results.csv")


@login_required
def results_json(request, pk: int):
    experiment = _readable(request, pk)
    response = JsonResponse(latest_results_presented(experiment.pk), safe=False)
    return _attachment(response, experiment, "results.json")


@login_required
def observations_csv(request, pk: int):
    experiment = _readable(request, pk)
    rows = (
        experiment.observations.overall()
        .order_by("date", "metric__key", "variant__key", "id")
        .values(
            "date",
            "variant__key",
            "metric__key",
            *NUMBERS,
        )
        .iterator(chunk_size=CSV_BATCH)
    )
    batches = (
        [
            {
                **row,
                "date": row["date"].isoformat(),
                "variant": row["variant__key"],
                "metric": row["metric__key"],
            }
            for row in batch
        ]
        for batch in in_batches(rows)
    )
    return _attachment(csv_response(OBSERVATION_COLUMNS, batches), experiment, "observations.csv")


@login_required
def upload_template(request, pk: int):
    """The upload's template, for those who may upload this experiment's data."""
    require_ability(request, "experiments.read")
    experiment = get_object_or_404(experiment_list_for_user(user=request.user), pk=pk)
    require_ability(request, "data.upload", experiment)
    response = HttpResponse(template_csv(experiment), content_type="text/csv; charset=utf-8")
    return _attachment(response, experiment, "upload-template.csv")
