"""The API's blueprint: flask-smorest's, with one argument schema instance per class.

webargs builds a new instance of an ``@blp.arguments`` schema class on every request
(field binding and option resolution each time, ~1 % of a diary request). Our schemas
keep no state between loads, so one instance per class serves every request; the docs
still see the class, so the OpenAPI document does not change.
"""

from __future__ import annotations

import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser


class SchemaReusingParser(FlaskParser):
    """A FlaskParser that instantiates each argument schema class once."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._instances: dict[type[ma.Schema], ma.Schema] = {}

    def _get_schema(self, argmap, req) -> ma.Schema:
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._instances.get(argmap)
            if schema is None:
                schema = self._instances[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = SchemaReusingParser()
