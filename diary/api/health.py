"""Liveness: a trivial JSON endpoint (also the baseline of bench/ingest.py)."""

from flask.views import MethodView

from diary.api.blueprint import Blueprint
from diary.api.schemas import Health

blp = Blueprint("health", __name__, description="Liveness")


@blp.route("/health")
class HealthView(MethodView):
    @blp.response(200, Health)
    def get(self):
        """The server is up"""
        return {"status": "ok"}
