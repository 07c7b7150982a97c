"""The OpenAPI document is written when first read, not at every start-up (issue 12).

flask-smorest documents each blueprint as it registers it: it deep-copies the views' doc
information and resolves every schema, about 60 % of ``create_app``'s own time, paid by
every CLI command and worker that never serves the document. Here the routes are
registered at once and documented the first time ``api.spec`` is read (``/api/openapi.json``,
the docs page, ``flask openapi print``), in registration order, so the document is the same.
"""

from __future__ import annotations

import threading

from diary.api.errors import PaindiaryApi


class LazySpecApi(PaindiaryApi):
    def __init__(self, *args, **kwargs):
        self._undocumented: list[tuple] = []  # (blueprint, name, parameters), in order
        self._documenting = threading.Lock()
        super().__init__(*args, **kwargs)

    @property
    def spec(self):
        if self._undocumented:
            with self._documenting:
                while self._undocumented:
                    blp, name, parameters = self._undocumented[0]
                    # What flask-smorest's register_blueprint does after registering routes.
                    blp.register_views_in_doc(self, self._app, self._spec, name=name,
                                              parameters=parameters)
                    self._spec.tag({"name": name, "description": blp.description})
                    # Dropped once documented: a concurrent reader waits for the lock
                    # until then, and never sees a half-written document.
                    self._undocumented.pop(0)
        return self._spec

    @spec.setter
    def spec(self, value) -> None:
        self._spec = value

    def register_blueprint(self, blp, *, parameters=None, **options) -> None:
        """Register the blueprint's routes now, and its documentation when first read."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))
