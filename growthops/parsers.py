"""Request bodies of the API (``DEFAULT_PARSER_CLASSES``): JSON, read strictly (a form or
multipart body is a 415: the API takes none).

A body is refused with a 400 before any view sees it when it is nested too deeply for
Python's JSON reader, or when a string in it (a value or a key) holds text that no database
here can store: a NUL character (PostgreSQL refuses it in text and JSON) or a lone UTF-16
surrogate such as ``"\\ud800"`` (valid JSON, but not Unicode text: encoding it fails). The
refusal names where the string sits (``variants[1].name``), as every 400 names its field.
"""

import codecs
import json
import re
from collections.abc import Iterator

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.utils.json import strict_constant

TOO_DEEP = "The JSON is nested too deeply."

# The only ways JSON text can carry either: an escape. Raw NUL is a control character the
# reader refuses in a string; raw surrogates are not valid UTF-8. So a body without such an
# escape is not walked at all (a 13 MB upload: 7 ms for this search against 180 for a walk).
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
# After decoding, a valid pair has become one character: what is left in this range is lone.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_text(data) -> Iterator[tuple[str, str]]:
    """``(path, problem)`` for each string in ``data`` (parsed JSON or a form's fields, keys
    included) that holds a NUL or a lone surrogate. Iterative: ``data`` may be deep."""
    stack = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if problem := _problem(value):
                yield path or "body", problem
        elif isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                name = f"{path}.{printable(key)}" if path else printable(key)
                if problem := _problem(key):
                    yield name, problem
                stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(value))))


def _problem(text: str) -> str | None:
    """In the words of DRF's own CharField, which refuses both in the fields it reads."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "Null characters are not allowed."
    return f"Surrogate characters are not allowed: U+{ord(found.group()):04X}."


def printable(key) -> str:
    """A key as it can be shown in an error: escapes for a NUL and for lone surrogates."""
    text = str(key).replace("\x00", "\\x00")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def json_loads_checked(text: str, on_unstorable=None, **loads):
    """``json.loads(text, **loads)``; a lone surrogate or NUL in a string is a
    ``ValidationError`` naming where it sits (``on_unstorable(data)`` instead, when given, for
    another shape of errors)."""
    data = json.loads(text, **loads)
    if _SUSPECT_ESCAPE.search(text):
        if on_unstorable is not None:
            on_unstorable(data)
        else:
            refuse_unstorable_text(data)
    return data


def refuse_unstorable_text(data) -> None:
    problems = {}
    for path, problem in unstorable_text(data):
        problems.setdefault(path, []).append(problem)
    if problems:
        raise ValidationError(problems)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing deep nesting (``json`` raises RecursionError) and
    unstorable text."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.decode(stream.read(), encoding)
            parse_constant = strict_constant if self.strict else None
            return json_loads_checked(text, parse_constant=parse_constant)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError among them
            raise ParseError(f"JSON parse error - {exc}") from None
