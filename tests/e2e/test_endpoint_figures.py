"""Endpoint figures: mean daily pain (± SE) and per-participant curves, PNG and SVG,
from the API and the command line; deterministic, masked for blinded staff."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PROTOCOL = """
key: figure-demo
title: Figure demo crossover
timezone: Europe/Paris
design: crossover
sites: [PAR]
treatments: [{key: ketamine}, {key: saline}]
sequences:
  - {key: kfirst, treatments: [ketamine, saline]}
  - {key: sfirst, treatments: [saline, ketamine]}
anchors: [{key: infusion, per_period: true}]
daily_diary: {anchor: infusion, from_day: -2, to_day: 4}
endpoints:
  - {key: auc_d1_4, kind: auc, from_day: 1, to_day: 4, ends: carry, min_coverage: 0.5}
"""
# Period 1 infusion on 1 March 2027 (day 0): S1 and S3 on ketamine, S2 on saline.
SEQUENCES = {"S1": "kfirst", "S2": "sfirst", "S3": "kfirst"}


@pytest.fixture
def study(api, clock):
    admin = api.create_admin()
    key = api.create_study(admin, PROTOCOL)
    clock.set(datetime(2027, 2, 26, 8, tzinfo=UTC))
    devices = {}
    for subject, sequence in SEQUENCES.items():
        enrolled = api.enrol(admin, key, subject_id=subject, site="PAR", sequence=sequence)
        devices[subject] = api.activate(enrolled["activation_code"])
    clock.set(datetime(2027, 3, 1, 9, tzinfo=UTC))
    for subject in SEQUENCES:
        r = api.event(admin, key, subject, type="infusion", period=1,
                      occurred_at="2027-03-01T08:00:00+00:00")
        assert r.status_code == 201, r.json
    for day in (1, 2, 3):
        clock.set(datetime(2027, 3, 1 + day, 19, tzinfo=UTC))
        for n, device in enumerate(devices.values()):
            r = api.entry(device, f"2027-03-0{1 + day}", 8 - day - n)
            assert r.status_code == 201, r.json
    clock.set(datetime(2027, 3, 20, 12, tzinfo=UTC))
    admin = api.login("admin@site.org", "correct horse battery")
    api.unblind(admin, key)
    viewer = api.staff(admin, "viewer@site.org", "viewer", key)  # blinded
    return {"admin": admin, "viewer": viewer, "key": key, "devices": devices}


def _figure(api, token, key, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return api.c.get(f"/api/v1/studies/{key}/endpoints?{query}", headers=api.bearer(token))


def _svg_text(data: bytes) -> str:
    """Every text of an SVG (it must parse as XML)."""
    root = ET.fromstring(data)
    return " ".join(t for el in root.iter() for t in (el.text,) if t and t.strip())


@pytest.mark.parametrize("figure", ["mean", "participants"])
def test_a_png_figure_decodes_at_a_readable_size(api, study, figure):
    r = _figure(api, study["admin"], study["key"], format="png", figure=figure)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.content_type == "image/png"
    assert f'filename="figure-demo_{figure}.png"' in r.headers["Content-Disposition"]
    assert r.data.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(r.data))
    image.load()
    assert image.size == (800, 500)
    assert "allocation=as allocated" in r.headers["X-Paindiary-Provenance"]


@pytest.mark.parametrize("figure", ["mean", "participants"])
def test_an_svg_figure_names_treatments_axes_and_study(api, study, figure):
    r = _figure(api, study["admin"], study["key"], format="svg", figure=figure)
    assert r.status_code == 200 and r.content_type == "image/svg+xml"
    text = _svg_text(r.data)
    # two records of ketamine (S1, S3 in period 1), one of saline (S2)
    assert "ketamine (n=2)" in text and "saline (n=1)" in text
    assert "Study day" in text and "Pain NRS 0-10" in text and "figure-demo" in text
    assert "TRT-" not in text


def test_blinded_staff_see_masked_codes_in_the_legend(api, study):
    r = _figure(api, study["viewer"], study["key"], format="svg", figure="mean")
    assert r.status_code == 200
    text = _svg_text(r.data)
    assert "ketamine" not in text and "saline" not in text
    assert "Treatment (masked codes)" in text
    assert "allocation=masked codes" in r.headers["X-Paindiary-Provenance"]
    legend = sorted(t for t in text.split(" ") if t.startswith("TRT-"))
    assert len(legend) == 2 and len(set(legend)) == 2


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_the_same_data_gives_the_same_bytes_and_new_data_other_bytes(api, study, clock, fmt):
    first = _figure(api, study["admin"], study["key"], format=fmt).data
    clock.set(datetime(2027, 3, 20, 18, tzinfo=UTC))  # a later export: same diary
    assert _figure(api, study["admin"], study["key"], format=fmt).data == first
    clock.set(datetime(2027, 3, 5, 19, tzinfo=UTC))
    r = api.entry(study["devices"]["S1"], "2027-03-05", 0)  # day 4, not scored before
    assert r.status_code == 201, r.json
    clock.set(datetime(2027, 3, 21, 12, tzinfo=UTC))
    admin = api.login("admin@site.org", "correct horse battery")
    assert _figure(api, admin, study["key"], format=fmt).data != first


@pytest.mark.parametrize(("params", "field"), [
    ({"format": "png", "figure": "boxplot"}, "figure"), ({"format": "gif"}, "format")])
def test_unknown_figures_are_refused(api, study, params, field):
    r = _figure(api, study["admin"], study["key"], **params)
    assert (r.status_code, r.json["field"]) == (422, field)


def test_a_figure_export_is_audited(api, study, app):
    from sqlalchemy import select

    from diary.db.audit_models import AuditRecord

    _figure(api, study["viewer"], study["key"], format="svg", figure="participants")
    with app.extensions["paindiary"].session_factory() as s:
        record = s.scalars(select(AuditRecord).where(
            AuditRecord.action == "endpoints.export")).one()
    assert record.after["figure"] == "participants" and record.after["format"] == "svg"
    assert record.after["allocation"] == "masked codes"


@pytest.mark.parametrize(("flags", "expected", "absent"), [
    ([], "ketamine (n=2)", "TRT-"), (["--masked"], "TRT-", "ketamine")])
def test_the_cli_writes_png_and_svg_figures(app, study, tmp_path, flags, expected, absent):
    runner = app.test_cli_runner()
    for fmt in ("png", "svg"):
        out = tmp_path / f"mean.{fmt}"
        result = runner.invoke(args=["export", "endpoints", "--study", study["key"],
                                     "--format", fmt, "--figure", "mean", "-o", str(out),
                                     *flags])
        assert result.exit_code == 0, result.output
        assert f"wrote {out}" in result.output
    assert (tmp_path / "mean.png").read_bytes().startswith(PNG_SIGNATURE)
    text = _svg_text((tmp_path / "mean.svg").read_bytes())
    assert expected in text and absent not in text
