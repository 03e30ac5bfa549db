"""The upload panel explains itself (metric and variant keys, an example row, a template
CSV filled with them); the experiment page's downloads (results CSV and JSON, daily data CSV)
each ask who is asking."""

import csv
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.ingest.observations import observations_ingest, parse_csv
from analytics.models import Observation
from growthops.errors import ValidationFailed
from tests.test_results_pages import HTMX, running, store

pytestmark = pytest.mark.django_db


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_the_upload_panel_lists_metric_and_variant_keys_and_an_example_row(client, operator):
    experiment = running(operator)
    client.force_login(operator)
    html = client.get(f"/experiments/{experiment.pk}/results/", headers=HTMX).content.decode()
    metrics = html.split('id="upload-metrics"', 1)[1].split("</table>", 1)[0]
    assert metrics.index("<code>signups</code>") < metrics.index("<code>revenue</code>")
    assert metrics.index("<code>revenue</code>") < metrics.index("<code>unsubscribes</code>")
    assert "Sign-up conversion" in metrics and "Conversion (binomial)" in metrics
    assert "Revenue per user" in metrics and "Value per user (mean)" in metrics
    assert ">primary<" in metrics and ">guardrail<" in metrics
    variants = html.split('id="upload-variants"', 1)[1].split("</table>", 1)[0]
    assert "<code>control</code>" in variants and "<code>b</code>" in variants
    today = timezone.localdate().isoformat()
    assert (
        "date,variant,metric,users,conversions,sum,sum_squares\n"
        f"{today},control,signups,1000,48,," in html
    )
    assert f'href="/experiments/{experiment.pk}/upload/template.csv"' in html


def test_the_example_row_is_accepted_as_it_is(operator):
    experiment = running(operator)
    text = (
        "date,variant,metric,users,conversions,sum,sum_squares\n"
        f"{timezone.localdate().isoformat()},control,signups,1000,48,,\n"
    )
    assert observations_ingest(experiment_id=experiment.pk, actor=operator, rows=parse_csv(text))


def test_the_template_has_a_row_per_metric_and_variant_to_fill_in(client, operator):
    experiment = running(operator)
    client.force_login(operator)
    response = client.get(reverse("analytics:upload-template", args=[experiment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="{experiment.key}-upload-template.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body(response))))
    today = timezone.localdate().isoformat()
    assert rows[0] == ["date", "variant", "metric", "users", "conversions", "sum", "sum_squares"]
    assert [r[:3] for r in rows[1:]] == [
        [today, variant, metric]
        for metric in ("signups", "revenue", "unsubscribes")
        for variant in ("control", "b")
    ]
    # Uploaded unfilled, it is refused and writes nothing.
    with pytest.raises(ValidationFailed):
        observations_ingest(
            experiment_id=experiment.pk, actor=operator, rows=parse_csv(body(response))
        )
    assert not Observation.objects.exists()


@pytest.mark.parametrize(
    "who, status", [("operator", 200), ("analyst", 200), ("operator2", 403), ("marketer", 403),
                    ("cmo", 403)],
)  # fmt: skip
def test_the_template_is_for_those_who_may_upload(client, cast, operator, who, status):
    experiment = running(operator)
    client.force_login(cast[who])
    response = client.get(reverse("analytics:upload-template", args=[experiment.pk]))
    assert response.status_code == status


def test_the_results_download_as_csv_and_json(client, operator, marketer):
    experiment = running(operator)
    store(experiment, "signups", 1, control_mean=0.1, mean=0.11, lift=0.1, ci=(0.02, 0.18),
          p_value=0.01, p_value_adjusted=0.01)  # fmt: skip
    client.force_login(marketer)
    response = client.get(reverse("analytics:export-results-csv", args=[experiment.pk]))
    assert response.status_code == 200
    assert f'filename="{experiment.key}-results.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body(response))))
    treatment = next(r for r in rows if r["variant"] == "b")
    assert (treatment["metric"], treatment["lift"], treatment["significant"]) == (
        "signups",
        "0.1",
        "True",
    )
    response = client.get(reverse("analytics:export-results-json", args=[experiment.pk]))
    assert f'filename="{experiment.key}-results.json"' in response["Content-Disposition"]
    data = json.loads(response.content)
    assert {(r["variant"], r["lift"]) for r in data} == {("control", None), ("b", 0.1)}


def test_the_daily_data_downloads_in_the_upload_format(client, operator, analyst):
    experiment = running(operator)
    text = (
        "date,variant,metric,users,conversions,sum,sum_squares\n"
        "2026-11-02,control,signups,1000,48,,\n2026-11-02,b,signups,1010,61,,\n"
    )
    observations_ingest(experiment_id=experiment.pk, actor=operator, rows=parse_csv(text))
    client.force_login(analyst)
    response = client.get(reverse("analytics:export-observations-csv", args=[experiment.pk]))
    assert response.status_code == 200
    text = body(response)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["date"], r["variant"], r["metric"], r["users"], r["conversions"]) for r in rows] == [
        ("2026-11-02", "b", "signups", "1010", "61"),
        ("2026-11-02", "control", "signups", "1000", "48"),
    ]
    # It uploads again as it is: the same rows replace themselves.
    again = parse_csv(text)
    observations_ingest(experiment_id=experiment.pk, actor=operator, rows=again)
    assert Observation.objects.count() == 2


@pytest.mark.parametrize(
    "name", ["export-results-csv", "export-results-json", "export-observations-csv",
             "upload-template"],
)  # fmt: skip
def test_every_download_needs_an_active_sign_in_and_a_real_experiment(
    client, operator, outsider, name
):
    experiment = running(operator)
    url = reverse(f"analytics:{name}", args=[experiment.pk])
    assert client.get(url).status_code == 302
    client.force_login(outsider)
    assert client.get(url).status_code == 302
    client.force_login(operator)
    assert client.get(reverse(f"analytics:{name}", args=[experiment.pk + 999])).status_code == 404


def test_the_experiment_page_offers_the_downloads(client, operator, marketer):
    experiment = running(operator)
    client.force_login(marketer)
    html = client.get(f"/experiments/{experiment.pk}/results/", headers=HTMX).content.decode()
    for name in ("export-results-csv", "export-results-json", "export-observations-csv"):
        assert f'href="{reverse(f"analytics:{name}", args=[experiment.pk])}"' in html
    # No upload guide for those who may not upload.
    assert "upload-guide" not in html
