"""Endpoint exports: scoring tables written as CSV, XLSX and SAS XPORT files."""
