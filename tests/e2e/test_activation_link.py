"""The activation link in enrolment and re-issue answers, and its QR code (issue 15)."""

from __future__ import annotations

import re

import segno

from diary.services.activation_link import activation_url, app_base_url, qr_svg

STUDY = "mini-crossover"


def _modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules an SVG of segno's path form draws: 'M x y' moves, 'h n' draws n
    modules to the right on row y - 0.5, 'm dx dy' moves relative to the pen."""
    path = re.search(r'<path stroke="#000" d="([^"]+)"', svg).group(1)
    x = y = 0.0
    dark = set()
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:[ ,](-?[\d.]+))?", path):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            dark.update((round(x) + i, int(y - 0.5)) for i in range(int(a)))
            x += float(a)
    return dark


def _expected(data: str) -> set[tuple[int, int]]:
    border = 4
    matrix = segno.make_qr(data, error="m").matrix
    return {(c + border, r + border) for r, row in enumerate(matrix)
            for c, bit in enumerate(row) if bit}


def test_enrolment_and_reissue_answer_the_link_to_the_web_app(api, crossover):
    r = api.enrol(crossover, STUDY, subject_id="S001", site="PAR", sequence="KP")
    assert r["activation_url"] == ("https://diary.example.org/app/activate?code="
                                   + r["activation_code"])
    again = api.c.post(f"/api/v1/studies/{STUDY}/participants/S001/activation-code",
                       headers=api.bearer(crossover))
    assert again.status_code == 201
    assert again.json["activation_url"].endswith("?code=" + again.json["activation_code"])
    api.activate(again.json["activation_code"])  # the code in the link is the one that works


def test_app_base_url_comes_first_then_the_public_base_then_the_request():
    assert app_base_url({"APP_BASE_URL": "https://app.example.org/",
                         "PUBLIC_BASE_URL": "https://api.example.org"}) == \
        "https://app.example.org"
    assert app_base_url({"PUBLIC_BASE_URL": "https://api.example.org"}, "http://x/") == \
        "https://api.example.org"
    assert app_base_url({}, "http://127.0.0.1:5000/") == "http://127.0.0.1:5000"


def test_a_base_url_that_is_not_http_is_refused_with_the_setting_named():
    import pytest

    from diary.errors import RuleViolation

    for bad in ("javascript:alert(1)", "diary.example.org", "ftp://x.org"):
        with pytest.raises(RuleViolation) as exc:
            app_base_url({"APP_BASE_URL": bad})
        assert exc.value.field == "APP_BASE_URL"


def test_the_code_is_quoted_in_the_link():
    assert activation_url("https://d.org", "A B&C") == "https://d.org/app/activate?code=A%20B%26C"


def test_the_qr_code_encodes_exactly_the_link_and_is_named():
    link = "https://diary.example.org/app/activate?code=K7PQ-2M4X-9TRD"
    svg = qr_svg(link, title="QR code of the activation link")
    assert svg.startswith('<svg role="img" viewBox=')
    assert "<title>QR code of the activation link</title>" in svg
    assert _modules(svg) == _expected(link)
    assert _modules(svg) != _expected(link.replace("9TRD", "9TRE"))
