"""Every shipped protocol's endpoint export, every layout, as XPORT with its dictionary.

The perioperative protocol's long-layout PARAMCD codelist is 209 bytes, over XPORT v5's
200: the dictionary was refused. Any dictionary text over 200 bytes now continues in
extra columns (CODELIS2, DERIVAT2, ...) that rejoin to the CSV dictionary's text.
"""

from __future__ import annotations

import csv
import io

import pytest

from diary.exports.csv_xlsx import DICTIONARY_COLUMNS
from diary.exports.service import LAYOUTS
from diary.exports.xport import XPORT_CHAR_MAX, to_ascii
from tests.conftest import PROTOCOLS

SHIPPED = sorted(p.name for p in PROTOCOLS.glob("*.yaml"))
TEXT = [c for c in DICTIONARY_COLUMNS if c.type == "char"]


def _export(api, token, key, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    r = api.c.get(f"/api/v1/studies/{key}/endpoints?{query}", headers=api.bearer(token))
    assert r.status_code == 200, (params, r.json)
    return r


def _continued(name: str, k: int) -> str:
    """The k-th piece's XPORT name (k >= 2): CODELIST -> CODELIS2, LABEL -> LABEL2."""
    return f"{name[:8 - len(str(k))]}{k}"


def _unneutralised(value: str) -> str:
    """The CSV text without the ``'`` put before a would-be formula (XPORT has none)."""
    return value[1:] if value[:2] in {"'=", "'+", "'-", "'@", "'\t", "'\r"} else value


def _xpt(tmp_path, name, data) -> dict[str, list]:
    import pyreadstat

    path = tmp_path / name
    path.write_bytes(data)
    return pyreadstat.read_xport(str(path), output_format="dict")[0]


@pytest.mark.parametrize("protocol", SHIPPED)
def test_every_layout_of_a_shipped_protocol_writes_xpt_with_its_dictionary(api, protocol,
                                                                          tmp_path):
    admin = api.create_admin()
    key = api.create_study(admin, protocol)
    longest = 0
    for layout in LAYOUTS:
        _xpt(tmp_path, f"{layout}.xpt", _export(api, admin, key, layout=layout,
                                                format="xpt").data)
        xpt = _xpt(tmp_path, f"{layout}_dict.xpt", _export(
            api, admin, key, layout=layout, format="xpt", part="dictionary").data)
        text = _export(api, admin, key, layout=layout, format="csv", part="dictionary")
        full = list(csv.DictReader(io.StringIO(text.data.decode("utf-8-sig"))))
        assert len(xpt["VARIABLE"]) == len(full)
        for c in TEXT:
            # The column and its continuations, in order: CODELIST, CODELIS2, CODELIS3...
            names = [c.xport_name]
            while _continued(c.xport_name, len(names) + 1) in xpt:
                names.append(_continued(c.xport_name, len(names) + 1))
            for i, row in enumerate(full):
                pieces = [xpt[n][i] for n in names]
                assert all(len(p) <= XPORT_CHAR_MAX for p in pieces)
                # SAS pads character values: a trailing blank of the text is not kept.
                whole = to_ascii(_unneutralised(row[c.name])).rstrip()
                assert "".join(pieces) == whole, (layout, c.name, i)
                longest = max(longest, len(row[c.name]))
    if protocol == "perioperative-ketamine.yaml":
        assert longest > XPORT_CHAR_MAX      # the case of the bug: 209 bytes of PARAMCDs


def test_the_command_line_writes_the_perioperative_long_xpt_and_its_dictionary(api, tmp_path):
    import pyreadstat

    key = api.create_study(api.create_admin(), "perioperative-ketamine.yaml")
    out = tmp_path / "adeff.xpt"
    result = api.app.test_cli_runner().invoke(args=[
        "export", "endpoints", "--study", key, "--layout", "long", "--format", "xpt",
        "-o", str(out)])
    assert result.exit_code == 0, result.output
    dictionary = pyreadstat.read_xport(str(tmp_path / "adeff_dict.xpt"), output_format="dict")[0]
    row = dictionary["VARIABLE"].index("PARAMCD")
    codes = dictionary["CODELIST"][row] + dictionary["CODELIS2"][row]
    assert len(codes) > XPORT_CHAR_MAX                                 # 209 bytes, whole
    assert all(c and " " not in c for c in codes.split("; "))          # no code cut in two
    assert list(dictionary).index("CODELIS2") == list(dictionary).index("CODELIST") + 1
