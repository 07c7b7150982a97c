"""Request guards at parse time, before any view (login included): JSON nesting depth,
text every database can store in the body, the query, the path and form fields, and
JSON numbers Python can hold (no NaN or Infinity, no integer of 5,000 digits).

One place instead of a rule per schema (issue 12): PostgreSQL text refuses NUL and no
driver can encode a lone surrogate (``"\\udfff"`` is valid JSON), so either one would
reach the database, or argon2, as a 500. The body-size limit is Flask's own
``MAX_CONTENT_LENGTH`` (a 413 in our error shape), here also enforced on chunked bodies.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from itertools import accumulate

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from diary.errors import DomainError

MAX_JSON_DEPTH = 32  # a FHIR response with item groups nests about 8 deep
MAX_INT_DIGITS = 4300  # Python's own limit (sys.get_int_max_str_digits): past it, a 500

# A string runs to its closing quote, or to the end of an unterminated body; possessive,
# so a body of 2 MB of escaped quotes is still one linear pass.
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")
# In JSON text decoded from UTF-8 both can only be escapes, and a number we refuse is
# NaN, Infinity, one with an exponent or one of over 308 digits: a body with none of
# these (most bodies) skips the walk. Matches inside strings only cost a walk.
_MAYBE_REFUSED = re.compile(r"\\u(?:0000|[dD][89a-fA-F])|NaN|Infinity|\d[eE]|\d{309}")

NUL_RULE = "must not contain the NUL character (U+0000)"
SURROGATE_RULE = "must not contain an unpaired surrogate (U+D800 to U+DFFF)"
NOT_JSON_NUMBER_RULE = "NaN and Infinity are not JSON numbers (RFC 8259)"
OVERFLOW_RULE = "a number must be within the range of a double (about 1e308)"
DIGITS_RULE = f"a number must not have more than {MAX_INT_DIGITS} digits"


class _Refused:
    """Stands in, while parsing, for a number we refuse, so the walk can name its path."""

    def __init__(self, rule: str):
        self.rule = rule


def _parse_int(digits: str) -> int | _Refused:
    return int(digits) if len(digits.lstrip("-")) <= MAX_INT_DIGITS else _Refused(DIGITS_RULE)


def _parse_float(number: str) -> float | _Refused:
    value = float(number)  # 1e999 parses as infinity: refused like Infinity itself
    return value if math.isfinite(value) else _Refused(OVERFLOW_RULE)


class InputRefused(DomainError):
    """Text no database can store, refused before any view with the field's path."""

    status, code = 422, "validation_error"

    def __init__(self, field: str, rule: str):
        super().__init__(f"{field}: {rule}", field=field)
        self.errors = {field: [rule]}


class JsonTooDeep(DomainError):
    status, code = 400, "json_too_deep"

    def __init__(self) -> None:
        rule = f"nested deeper than {MAX_JSON_DEPTH} levels of arrays and objects"
        super().__init__(f"json: {rule}", field="json")
        self.errors = {"json": [rule]}


def json_depth(text: str) -> int:
    """How deep arrays and objects nest, counted without parsing (so without recursion):
    strings are dropped first, so brackets inside them do not count."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def bad_text_rule(value: str) -> str | None:
    """The rule ``value`` breaks (a NUL or a lone surrogate), or None."""
    found = _BAD_CHAR.search(value)
    if found is None:
        return None
    return NUL_RULE if found.group() == "\x00" else SURROGATE_RULE


def storable_text(value: str) -> str:
    """``value`` with each NUL or lone surrogate replaced by U+FFFD, which every database
    stores: for text we must keep and answer (an inbound SMS) rather than refuse."""
    return _BAD_CHAR.sub("\ufffd", value)


def printable(key: str) -> str:
    """A key safe to name in an error: NULs and surrogates written as escapes."""
    return _BAD_CHAR.sub(lambda m: f"\\u{ord(m.group()):04x}", key)


def _strings(value, path: str) -> Iterator[tuple[str, str | _Refused]]:
    """Every (dotted path, text or refused number) in a parsed document, keys included."""
    if isinstance(value, str | _Refused):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{printable(key)}" if path else printable(key)
            yield where, key
            yield from _strings(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}" if path else str(index))


def check_json_body() -> None:
    """Refuse a JSON body nested too deep or holding unstorable text. A body that is not
    JSON at all is left to webargs, which answers 400 ``Invalid JSON body``."""
    if not request.is_json:
        return
    try:
        text = request.get_data(cache=True).decode("utf-8")
    except UnicodeDecodeError:
        return
    refusal = json_body_refusal(text)
    if refusal is not None:
        raise refusal


def json_body_refusal(text: str) -> DomainError | None:
    """What :func:`check_json_body` refuses in the JSON text ``text``, or None."""
    if json_depth(text) > MAX_JSON_DEPTH:
        return JsonTooDeep()
    if not _MAYBE_REFUSED.search(text):
        return None
    try:
        document = json.loads(text, parse_int=_parse_int, parse_float=_parse_float,
                              parse_constant=lambda _: _Refused(NOT_JSON_NUMBER_RULE))
    except ValueError:
        return None
    for path, value in _strings(document, ""):
        rule = value.rule if isinstance(value, _Refused) else bad_text_rule(value)
        if rule:
            return InputRefused(path or "json", rule)
    return None


def check_url_and_form() -> None:
    """Path segments, query values and form fields: the same rule. Twilio's signed
    webhooks are the exception: a participant's text gets an answer, not a 422 that
    Twilio would only log, so their fields are cleaned after the signature check
    (``storable_text``) instead."""
    sources = [(request.view_args or {}).items(), request.args.items(multi=True)]
    if request.blueprint != "sms" and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form.items(multi=True))
    for items in sources:
        for name, value in items:
            for text in (name, value):
                if isinstance(text, str) and (rule := bad_text_rule(text)):
                    raise InputRefused(printable(name), rule)


def check_streamed_size() -> None:
    """A body streamed without Content-Length (chunked) is cut at MAX_CONTENT_LENGTH by
    Werkzeug without an error: JSON would fail to parse, a form would lose its tail. Read
    it here (cached for the parsers) and refuse it when it fills the limit."""
    limit = request.max_content_length
    if request.content_length is not None or limit is None:
        return
    if len(request.get_data(cache=True)) >= limit:
        raise RequestEntityTooLarge()


def init_guards(app: Flask) -> None:
    app.before_request(check_streamed_size)
    app.before_request(check_url_and_form)
    app.before_request(check_json_body)
