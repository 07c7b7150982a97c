"""The Swagger UI's JavaScript and CSS, served from the ``swagger-ui-bundle`` package:
hospital networks often block CDNs (issue 12). flask-smorest renders the page at
``/api/docs`` and points it at ``OPENAPI_SWAGGER_UI_URL``, which this blueprint serves."""

from __future__ import annotations

from flask import Blueprint, Flask
from swagger_ui_bundle import swagger_ui_path


def init_docs(app: Flask) -> None:
    assets = app.config["OPENAPI_SWAGGER_UI_URL"].rstrip("/")
    app.register_blueprint(Blueprint("swagger_ui_assets", __name__,
                                     static_folder=str(swagger_ui_path),
                                     static_url_path=assets))
