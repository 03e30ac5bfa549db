"""The API's JSON is written by orjson; it must read exactly as DRF's own renderer writes it.
A CSV cell a spreadsheet would run as a formula is written as text."""

import csv
import datetime as dt
import io
import json
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

from growthops.renderers import CSVRenderer, JSONRenderer

AWARE = dt.datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=dt.UTC)
OFFSET = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))


def _both(data, media_type="application/json"):
    context = {}
    return (
        JSONRenderer().render(data, media_type, context),
        DRFJSONRenderer().render(data, media_type, context),
    )


def test_the_text_is_drfs_for_every_kind_of_value():
    data = {
        "results": [
            {
                "id": 7,
                "name": "Café ✓ “quoted”",
                "ratio": 0.1 + 0.2,
                "big": 2**62,
                "none": None,
                "flags": [True, False],
                "nested": {"a": [1, 2, {"b": "c"}]},
                "at": AWARE,
                "at_offset": OFFSET,
                "naive": dt.datetime(2026, 11, 2, 9, 30),
                "day": dt.date(2026, 11, 2),
                "time": dt.time(9, 30, 0, 500),
                "money": Decimal("12.50"),
                "id_uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
                "lazy": gettext_lazy("Not found."),
                "span": dt.timedelta(days=1, seconds=5),
                "tuple": (1, "two"),
                "separator": "line\u2028next\u2029end",
            }
        ],
        7: "a number as a key",
    }

    ours, drfs = _both(data)

    assert ours == drfs
    assert json.loads(ours)["results"][0]["at"] == "2026-11-02T09:30:15.123456Z"


def test_indented_answers_and_what_orjson_refuses_are_left_to_drf():
    data = {"n": 1, "huge": 2**70, "list": [1, 2]}

    ours, drfs = _both(data)
    assert ours == drfs and b"1180591620717411303424" in ours

    ours, drfs = _both({"n": 1}, "application/json; indent=4")
    assert ours == drfs == b'{\n    "n": 1\n}'


def test_nothing_is_an_empty_body():
    assert JSONRenderer().render(None) == b""


def test_a_float_that_is_not_a_number_is_null():
    assert json.loads(JSONRenderer().render({"p": float("nan"), "q": float("inf")})) == {
        "p": None,
        "q": None,
    }


def test_an_api_answer_is_freed_once_sent(analyst, keep_the_test_connection):
    """Served as a WSGI server serves it, the answer (and its data) is freed by reference
    counting as soon as the server lets go of it: nothing else keeps it."""
    import gc
    import weakref

    from django.core.handlers.wsgi import WSGIHandler
    from django.test.client import FakePayload
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=analyst).key
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/v1/experiments/",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "HTTP_AUTHORIZATION": f"Token {token}",
        "wsgi.url_scheme": "http",
        "wsgi.input": FakePayload(b""),
        "wsgi.errors": None,
    }
    started = []
    gc.disable()  # only reference counting may free it here
    try:
        response = WSGIHandler()(environ, lambda status, headers: started.append(status))
        body = b"".join(response)
        response.close()
        view = response.renderer_context["view"]
        freed = weakref.ref(response)
        del response, view

        assert started == ["200 OK"] and b'"results"' in body
        assert freed() is None
    finally:
        gc.enable()


# --- CSV -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "＝HYPERLINK(1)", "＋1", "－1", "＠SUM(1)"]
    + ["﹦1", "﹢1", "﹣1", "﹫1", "⩵1"],
)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(text):
    body = CSVRenderer().render([{"name": text, "n": 1}]).decode()
    assert list(csv.DictReader(io.StringIO(body))) == [{"name": "'" + text, "n": "1"}]


@pytest.mark.parametrize("text", ["Plain", "1=1", "a-b", "", "−1 (a minus sign)", "日本語", "ｘ"])
def test_other_cells_are_written_as_they_are(text):
    body = CSVRenderer().render([{"name": text}]).decode()
    assert list(csv.DictReader(io.StringIO(body))) == [{"name": text}]
