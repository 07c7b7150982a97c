"""Studies: create from a protocol file, upgrade to a new version, roles."""

from flask.views import MethodView
from sqlalchemy import select

from diary.api.blueprint import Blueprint
from diary.api.context import BEARER, authenticated, db, now, principal
from diary.api.schemas import (
    ProtocolUpload,
    RoleIn,
    RoleOut,
    StudyDetailOut,
    StudyOut,
    VersionDiffOut,
    VersionSourceOut,
)
from diary.db.models import ProtocolVersion
from diary.errors import RuleViolation
from diary.services import accounts, protocol_versions, studies

blp = Blueprint("studies", __name__, description="Studies and their protocol versions")


def _source(upload) -> str:
    raw = upload.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RuleViolation("the protocol file must be UTF-8 text", field="protocol") from None


def _name(upload) -> str:
    """The uploaded file's name, for YAML error positions; "protocol" if it has none
    printable (it is echoed in the error message, never used as a path)."""
    name = (upload.filename or "").rsplit("/", 1)[-1]
    return name if name and len(name) <= 100 and name.isprintable() else "protocol"


def _warnings(loaded) -> list[dict]:
    return [{"path": path, "rule": rule} for path, rule in loaded.warnings]


def _detail(study, protocol=None):
    session = db()
    if protocol is None:
        protocol = studies.protocol_of(studies.current_version(session, study))
    versions = session.scalars(select(ProtocolVersion).where(
        ProtocolVersion.study_id == study.id).order_by(ProtocolVersion.version)).all()
    return {
        "key": study.key, "title": study.title, "current_version": study.current_version,
        "created_at": study.created_at, "design": protocol.design,
        "timezone": protocol.timezone, "sites": list(protocol.sites),
        "arms": [a.key for a in protocol.arms],
        "sequences": {s.key: list(s.treatments) for s in protocol.sequences},
        "anchors": [a.key for a in protocol.anchors], "versions": versions,
        "blinding": protocol.blinding,
        "randomisation": {"method": protocol.randomisation.method,
                          "stratify_by": list(protocol.randomisation.stratify_by)},
    }


@blp.route("/studies")
class Studies(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(200, StudyOut(many=True))
    def get(self):
        """The studies you have a role in"""
        return studies.list_studies(db(), principal())

    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(ProtocolUpload, location="files")
    @blp.response(201, StudyDetailOut)
    @blp.alt_response(409, description="The study exists")
    @blp.alt_response(422, description="The protocol is invalid; errors lists each problem")
    def post(self, files):
        """Create a study from a protocol file (multipart field ``protocol``); ``warnings``
        lists what works but deserves a look (e.g. licensed wording not supplied)"""
        loaded = studies.create_study(db(), principal(), source=_source(files["protocol"]),
                                      now=now(), name=_name(files["protocol"]))
        return {**_detail(loaded.study), "warnings": _warnings(loaded)}


@blp.route("/studies/<key>")
class StudyItem(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(200, StudyDetailOut)
    def get(self, key):
        """A study, its design and every protocol version it had"""
        study, protocol = studies.get_study(db(), principal(), key)
        return _detail(study, protocol)


@blp.route("/studies/<key>/versions")
class Versions(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(ProtocolUpload, location="files")
    @blp.response(201, StudyDetailOut)
    @blp.alt_response(409, description="Identical to an earlier version")
    @blp.alt_response(422, description="Invalid, or incompatible with enrolled participants")
    def post(self, files, key):
        """Upgrade a study to a new protocol version (study admins); ``warnings`` as for
        a new study"""
        loaded = studies.upgrade_protocol(db(), principal(), key=key,
                                          source=_source(files["protocol"]), now=now(),
                                          name=_name(files["protocol"]))
        return {**_detail(loaded.study), "warnings": _warnings(loaded)}


@blp.route("/studies/<key>/versions/<int:version>")
class VersionItem(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(200, VersionSourceOut)
    def get(self, key, version):
        """One protocol version, byte for byte, with its SHA-256"""
        return protocol_versions.get_version(db(), principal(), key, version)


@blp.route("/studies/<key>/versions/<int:old>/diff/<int:new>")
class VersionDiff(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(200, VersionDiffOut)
    def get(self, key, old, new):
        """What changed from one protocol version to another: each changed path with its
        old and new value (lists of keyed items matched by key), and a unified diff"""
        diff = protocol_versions.diff_versions(db(), principal(), key, old, new)
        return {"study": diff.study, "old": diff.old, "new": diff.new,
                "changes": diff.changes, "text": diff.text}


@blp.route("/studies/<key>/roles")
class Roles(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(RoleIn)
    @blp.response(200, RoleOut)
    def put(self, body, key):
        """Give a staff account a role in this study, optionally limited to sites and
        optionally ``unblinded`` (sees the allocation of a blinded study; audited)"""
        accounts.grant_role(db(), principal(), study_key=key, email=body["email"],
                            role=body["role"], sites=body["sites"], now=now(),
                            unblinded=body["unblinded"])
        return body
