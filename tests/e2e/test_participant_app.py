"""The participant app's routes through the Flask test client (issue 19): the shell, the
QR link, the manifest, the service worker and its cache list, and the message catalogs
(complete in every language, placeholders kept, every key the scripts use defined)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from web.participant import catalogs
from web.participant.messages import LANGUAGES, MESSAGES

JS = Path(catalogs.__file__).parent / "static" / "js"


def status_of(client, url: str) -> int:
    """The status of a GET, the (file) response closed."""
    with client.get(url) as r:
        return r.status_code


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.inline_scripts = [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            if a.get("src"):
                self.urls.append(a["src"])
            else:
                self.inline_scripts += 1
        if tag == "link" and a.get("href"):
            self.urls.append(a["href"])


def test_the_shell_loads_only_its_own_files_under_a_strict_policy(client):
    r = client.get("/app/")
    assert r.status_code == 200 and r.mimetype == "text/html"
    policy = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "worker-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    page = _Assets()
    page.feed(r.get_data(as_text=True))
    assert page.inline_scripts == 0
    assert "/app/manifest.webmanifest" in page.urls
    for url in page.urls:
        assert status_of(client, url) == 200, url
    assert not [u for u in page.urls if u.startswith("http")]  # vendored, no CDN
    html = r.get_data(as_text=True)  # text can be enlarged (WCAG 1.4.4): zoom stays on
    assert 'content="width=device-width, initial-scale=1"' in html
    assert "user-scalable" not in html and "maximum-scale" not in html


def test_the_qr_link_opens_the_same_shell_and_never_echoes_the_code(client):
    r = client.get("/app/activate?code=%3Cscript%3Ealert(1)%3C/script%3E")
    assert r.status_code == 200
    assert "alert(1)" not in r.get_data(as_text=True)
    assert r.get_data() == client.get("/app/").get_data()


@pytest.mark.parametrize("accept, lang, title", [("nl-BE,nl;q=0.9", "nl", "Pijndagboek"),
                                                 ("fr-FR", "fr", "Journal de la douleur"),
                                                 ("de-DE", "en", "Pain diary")])
def test_the_shell_and_manifest_speak_the_browsers_language(client, accept, lang, title):
    html = client.get("/app/", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert f'<html lang="{lang}">' in html and f"<title>{title}</title>" in html
    manifest = client.get("/app/manifest.webmanifest",
                          headers={"Accept-Language": accept}).json
    assert (manifest["lang"], manifest["name"]) == (lang, title)


def test_the_manifest_makes_the_app_installable(client):
    r = client.get("/app/manifest.webmanifest")
    assert r.mimetype == "application/manifest+json"
    m = r.json
    assert (m["start_url"], m["scope"], m["display"]) == ("/app/", "/app/", "standalone")
    assert {"192x192", "512x512"} <= {i["sizes"] for i in m["icons"]}
    for icon in m["icons"]:
        with client.get(icon["src"]) as got:
            assert got.status_code == 200 and got.mimetype == "image/png"


def test_the_service_worker_caches_the_app_and_never_the_api(client):
    r = client.get("/app/sw.js")
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    assert r.headers["Cache-Control"] == "no-cache"
    body = r.get_data(as_text=True)
    urls = re.search(r"var URLS = (\[.*?\]);", body).group(1)
    import json

    listed = json.loads(urls)
    assert "/app/" in listed and not [u for u in listed if u.startswith("/api/")]
    for url in listed:
        assert status_of(client, url) == 200, url
    assert re.search(r'var CACHE = "paindiary-app-[0-9a-f]{16}"', body)


def test_only_the_vendored_chart_files_are_served_under_the_app(client):
    assert status_of(client, "/app/vendor/uplot/uPlot.iife.min.js") == 200
    assert status_of(client, "/app/vendor/htmx/htmx.min.js") == 404
    assert status_of(client, "/app/vendor/../__init__.py") == 404


def test_an_unknown_language_is_a_404_with_a_json_body(client):
    r = client.get("/app/i18n/de.json")
    assert r.status_code == 404 and r.json["code"] == 404


@pytest.mark.parametrize("lang", [x for x in LANGUAGES if x != "en"])
def test_every_catalog_translates_every_text_and_keeps_its_placeholders(lang):
    found = catalogs.translations(lang)
    missing = [key for key, text in MESSAGES.items() if text not in found]
    assert missing == []
    for key, text in MESSAGES.items():
        assert set(re.findall(r"\{\w+\}", found[text])) == set(re.findall(r"\{\w+\}", text)), key


def test_the_catalog_template_matches_the_messages():
    from babel.messages.pofile import read_po

    with (catalogs.TRANSLATIONS / "app.pot").open("rb") as f:
        template = {m.id for m in read_po(f) if m.id}
    assert template == set(MESSAGES.values()), "run pybabel extract (README)"


def test_the_served_catalog_has_every_key(client):
    body = client.get("/app/i18n/es.json").json
    assert body["lang"] == "es" and set(body["messages"]) == set(MESSAGES)
    assert body["messages"]["pain.question"] == "¿Qué intensidad tuvo su dolor hoy?"
    assert body["languages"] == LANGUAGES


def test_every_text_key_the_scripts_use_is_in_the_catalog():
    used = set()
    for path in JS.glob("*.js"):
        source = path.read_text()
        used |= set(re.findall(r'\bt\("([a-z0-9_.]*[a-z0-9_])"', source))
        used |= set(re.findall(r'key: "([a-z0-9_.]+)"', source))
        used |= {base + ".one" for base in re.findall(r'plural\("([a-z0-9_.]+)"', source)}
    prefixed = {k for k in MESSAGES if k.split(".")[0] in ("route", "activate", "se")}
    assert used and used - set(MESSAGES) == set()
    assert set(MESSAGES) - used - prefixed <= {"app.short_name", "app.description",
                                               "app.noscript", "app.loading", "app.skip",
                                               "nav.label", "nav.today", "nav.history",
                                               "nav.settings", "status.waiting.other"}


def test_no_english_text_is_written_in_the_scripts():
    english = {text for text in MESSAGES.values() if len(text) > 3}
    for path in JS.glob("*.js"):
        literals = set(re.findall(r'"([^"\\]{4,})"', path.read_text()))
        assert literals & english == set(), path.name
