"""The participant's activation link and its QR code (issue 15; the web app is issue 19).

The enrolment page shows the code, the link ``<app base>/app/activate?code=<code>`` and
that link as a QR code, so a participant's phone camera opens the web app with the code
filled in. segno (pure Python, no image library) draws the SVG; it is imported here only.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from diary.errors import RuleViolation

ACTIVATE_PATH = "/app/activate"


def app_base_url(config: dict, request_root: str | None = None) -> str:
    """Where participants reach the web app: ``APP_BASE_URL``, else ``PUBLIC_BASE_URL``,
    else the address the coordinator's request came to (development)."""
    base = config.get("APP_BASE_URL") or config.get("PUBLIC_BASE_URL") or request_root
    if not base:
        raise RuleViolation("set APP_BASE_URL (the participant web app's public address)",
                            field="APP_BASE_URL")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RuleViolation(f"{base!r} is not an http(s) address", field="APP_BASE_URL")
    return base.rstrip("/")


def activation_url(base_url: str, code: str) -> str:
    """The link that opens the web app with ``code`` (the code is URL-quoted).

    >>> activation_url("https://diary.example.org/", "K7PQ-2M4X")
    'https://diary.example.org/app/activate?code=K7PQ-2M4X'
    """
    return f"{base_url.rstrip('/')}{ACTIVATE_PATH}?code={quote(code, safe='')}"


def qr_svg(data: str, *, title: str) -> str:
    """``data`` as an inline SVG QR code (error correction M, 4-module quiet zone, scales
    with its box); ``title`` is its accessible name.

    >>> svg = qr_svg("https://diary.example.org/app/activate?code=K7PQ", title="QR")
    >>> svg.startswith("<svg") and "<title>QR</title>" in svg
    True
    """
    import segno

    code = segno.make_qr(data, error="m")
    # xmldecl off and omitsize: an element for the page, sized by CSS through its viewBox
    svg = code.svg_inline(scale=4, border=4, title=title, omitsize=True,
                          svgclass="qr-code", lineclass=None, dark="#000", light="#fff")
    return svg.replace("<svg ", '<svg role="img" ', 1)  # named by its <title>
