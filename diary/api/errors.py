"""One error shape everywhere: ``{code, status, message, field, errors}``."""

from __future__ import annotations

import marshmallow as ma
from flask import Response, current_app, jsonify, request
from flask_smorest import Api
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from diary.errors import DomainError


def error_body(status: int, code: str, message: str, field: str | None = None,
               errors: dict | None = None) -> dict:
    return {"code": code, "status": status, "message": message, "field": field,
            "errors": errors or {}}


def _first_field(messages: dict, prefix: str = "") -> tuple[str | None, str | None]:
    """The first offending field of a marshmallow message tree, as a dotted path."""
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            return _first_field(value, path)
        if isinstance(value, list) and value:
            return path, str(value[0])
    return None, None


class ErrorSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "Stable machine-readable error code"})
    status = ma.fields.Integer(metadata={"description": "HTTP status"})
    message = ma.fields.String(metadata={"description": "What went wrong, for people"})
    field = ma.fields.String(allow_none=True,
                             metadata={"description": "The offending input field, if any"})
    errors = ma.fields.Dict(metadata={"description": "Messages per field"})


class PaindiaryApi(Api):
    """flask-smorest's Api with our error shape, and the ``Allow`` header kept on 405."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        super()._register_error_handlers()
        self._app.register_error_handler(DomainError, self.handle_domain_error)
        # Imported here: db_errors builds its answers with error_body from this module.
        from diary.api import db_errors

        self._app.register_error_handler(sa_exc.StatementError,
                                         db_errors.handle_statement_error)
        self._app.register_error_handler(UnicodeEncodeError,
                                         db_errors.handle_unencodable_text)
        for error in db_errors.UNAVAILABLE:
            self._app.register_error_handler(error, db_errors.handle_unavailable)

    @staticmethod
    def handle_domain_error(error: DomainError) -> Response:
        body = error_body(error.status, error.code, error.message, error.field,
                          getattr(error, "errors", None))
        if getattr(error, "issues", None):
            body["errors"] = {path or "protocol": [rule] for path, rule in error.issues}
            body["message"] += ": " + "; ".join(f"{p}: {r}" for p, r in error.issues[:5])
        response = jsonify(body)
        response.status_code = error.status
        if error.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="paindiary"'
        if getattr(error, "retry_after", None) is not None:
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    def handle_http_exception(self, error: HTTPException):
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        messages = data.get("messages") or {}
        field, message = None, error.description
        errors = {}
        if messages:
            # webargs nests messages under the location: {"json": {"score": [...]}}
            for location, tree in messages.items():
                errors.update(tree if isinstance(tree, dict) else {location: tree})
            field, first = _first_field(errors)
            message = f"{field}: {first}" if field else "invalid input"
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        length = request.content_length
        if status == 413 and limit and (length is None or length > limit):
            # the body limit (not Werkzeug's form-part limits, which keep their text)
            message = f"request body: larger than the limit of {limit} bytes"
        code = "validation_error" if status == 422 else _slug(error.name)
        response = jsonify(error_body(status, code, message, field, errors))
        response.status_code = status
        if status == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        for name, value in (data.get("headers") or {}).items():
            response.headers[name] = value
        return response


def _slug(name: str) -> str:
    return name.lower().replace(" ", "_").replace("'", "")
