"""What a coordinator does on a participant's page: enrol, re-issue the activation code,
record / plan / confirm / correct an anchor, withdraw, enter a transcribed diary day.

Each form is checked by the API's schema for the same action and carried out by the same
service; a refusal re-renders the page with the message beside its field (422), never a
500. Success redirects back to the page (post/redirect/get) with a notice, except the
code-issuing actions, whose answer shows the code and its QR code once.
"""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from diary.api.context import db, now
from diary.api.event_schemas import CancelIn, ConfirmIn, CorrectIn, EventIn, RescheduleIn
from diary.api.schemas import EnrolIn, LanguageIn, WithdrawIn
from diary.api.staff_schemas import StaffEntryIn
from diary.db.models import DiaryEntry
from diary.errors import DomainError
from diary.services import (
    activation_link,
    enrolment,
    entries,
    event_changes,
    events,
    languages,
)
from web import bp
from web.access import participant_for, study_for
from web.auth import caller
from web.forms import FormError, FormState, integer, load, local_instant, refused, text
from web.views.participant_page import NOTICE, render_participant


def _form() -> dict:
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


def _signature(f: dict) -> dict | None:
    """The form's electronic signature for the service (which decides whether the
    protocol needs one), or None when the form carried none."""
    if "signature.password" not in f and "signature.meaning" not in f:
        return None
    return {"password": f.get("signature.password", ""),
            "meaning": f.get("signature.meaning", "")}


def _back(key: str, subject_id: str, notice: str):
    session[NOTICE] = notice
    return redirect(url_for("web.participant", key=key, subject_id=subject_id))


def _refused(key: str, subject_id: str, name: str, exc: FormError):
    return render_participant(key, subject_id, form=FormState(name, _form(), exc.errors),
                              status=422)


def _issued(code) -> dict:
    base = activation_link.app_base_url(current_app.config, request.url_root)
    url = activation_link.activation_url(base, code.code)
    return {"code": code.code, "expires_at": code.expires_at, "url": url,
            "qr": activation_link.qr_svg(url, title=_("QR code of the activation link"))}


# --- enrolment ------------------------------------------------------------------------

@bp.route("/studies/<key>/enrol", methods=["GET", "POST"])
def enrol(key):
    access = study_for(key, need="write")
    form = FormState("enrol", _form() if request.method == "POST" else {})
    if request.method == "POST":
        try:
            body = load(EnrolIn(), {k: text(v) for k, v in _form().items()
                                    if k in EnrolIn().fields})
            rt = current_app.extensions["paindiary"]
            try:
                p, code = enrolment.enrol(db(), access.who, key, enrolment.Enrolment(**body),
                                          now=now(), ph=rt.hasher, vault=rt.vault,
                                          code_ttl=rt.config["ACTIVATION_CODE_TTL"])
            except DomainError as exc:
                raise refused(exc) from None
        except FormError as exc:
            form.errors = exc.errors
            return render_template("enrol.html", access=access, form=form), 422
        return render_template("code_issued.html", access=access, p=p, issued=_issued(code),
                               enrolled=True), 201
    return render_template("enrol.html", access=access, form=form)


@bp.route("/studies/<key>/participants/<subject_id>/activation-code", methods=["POST"])
def reissue_code(key, subject_id):
    access, p = participant_for(key, subject_id, need="write")
    rt = current_app.extensions["paindiary"]
    code = enrolment.reissue_code(db(), access.who, key, subject_id, now=now(), ph=rt.hasher,
                                  code_ttl=rt.config["ACTIVATION_CODE_TTL"])
    return render_template("code_issued.html", access=access, p=p, issued=_issued(code),
                           enrolled=False), 201


# --- anchors --------------------------------------------------------------------------

@bp.route("/studies/<key>/participants/<subject_id>/events", methods=["POST"])
def record_event(key, subject_id):
    """Record an anchor that happened (``when=happened``: a local date and time) or plan
    one (``when=planned``: a date, or a date and time)."""
    p = participant_for(key, subject_id, need="write")[1]
    f = _form()
    try:
        data = {"type": f.get("type", ""), "period": integer(f.get("period"), "period")}
        if f.get("when") == "planned":
            planned = text(f.get("planned_date"))
            if planned and "T" in planned:
                data["planned_at"] = local_instant(planned, p.timezone, "planned_date")
            else:
                data["planned_date"] = planned
        else:
            data["occurred_at"] = local_instant(f.get("occurred_at"), p.timezone, "occurred_at")
        body = load(EventIn(), {k: v for k, v in data.items() if v is not None})
        try:
            event = events.record_event(db(), caller(), key, subject_id, now=now(), **body)
        except DomainError as exc:
            raise refused(exc) from None
    except FormError as exc:
        return _refused(key, subject_id, "event", exc)
    what = _("recorded") if event.status == "confirmed" else _("planned")
    return _back(key, subject_id, _("%(anchor)s %(what)s.", anchor=event.type, what=what))


@bp.route("/studies/<key>/participants/<subject_id>/events/<event_id>/change",
          methods=["POST"])
def change_event(key, subject_id, event_id):
    """Change an anchor, each change a new version: ``action`` correct (a confirmed
    instant, reason required), confirm (a planned one happened), reschedule (a planned
    one moves, reason required) or cancel (a planned one will not happen, reason
    required); the API's schema and service for each."""
    p = participant_for(key, subject_id, need="write")[1]
    f = _form()
    action = f.get("action")
    if action not in CHANGES:
        action = "confirm"
    name = f"change-{event_id}"
    try:
        data = {"reason": text(f.get("reason"))}
        if action in ("correct", "confirm"):
            data["occurred_at"] = local_instant(f.get("occurred_at"), p.timezone,
                                                "occurred_at")
        elif action == "reschedule":
            data["planned_date"] = text(f.get("planned_date"))
        schema, change, done = CHANGES[action]
        body = load(schema(), {k: v for k, v in data.items() if v is not None})
        if action in SIGNED_CHANGES:
            body |= {"signature": _signature(f),
                     "ph": current_app.extensions["paindiary"].hasher}
        try:
            change(db(), caller(), key, subject_id, event_id, now=now(),
                   **body)
        except DomainError as exc:
            raise refused(exc) from None
    except FormError as exc:
        return _refused(key, subject_id, name, exc)
    return _back(key, subject_id, str(done))


SIGNED_CHANGES = ("correct", "cancel")  # the protocol may ask to sign these (signatures:)
CHANGES = {
    "correct": (CorrectIn, event_changes.correct_event, _l("Anchor corrected.")),
    "confirm": (ConfirmIn, event_changes.confirm_event, _l("Anchor confirmed.")),
    "reschedule": (RescheduleIn, event_changes.reschedule_event, _l("Anchor moved.")),
    "cancel": (CancelIn, event_changes.cancel_event, _l("Planned anchor cancelled.")),
}


# --- withdrawal and staff entry -------------------------------------------------------

@bp.route("/studies/<key>/participants/<subject_id>/withdrawal", methods=["POST"])
def withdraw(key, subject_id):
    participant_for(key, subject_id, need="write")
    try:
        body = load(WithdrawIn(), {"reason": text(request.form.get("reason")) or ""})
        try:
            enrolment.withdraw(db(), caller(), key, subject_id, reason=body["reason"], now=now(),
                               signature=_signature(_form()),
                               ph=current_app.extensions["paindiary"].hasher)
        except DomainError as exc:
            raise refused(exc) from None
    except FormError as exc:
        return _refused(key, subject_id, "withdraw", exc)
    return _back(key, subject_id, _("Participant withdrawn; the data given so far is kept."))


@bp.route("/studies/<key>/participants/<subject_id>/language", methods=["POST"])
def set_language(key, subject_id):
    """The language of the participant's texts (SMS, app, questionnaires)."""
    access, p = participant_for(key, subject_id, need="write")
    try:
        body = load(LanguageIn(), {"language": text(request.form.get("language")) or ""})
        try:
            languages.set_language(db(), p, access.protocol, body["language"],
                                   actor=access.who.actor, now=now())
        except DomainError as exc:
            raise refused(exc) from None
    except FormError as exc:
        return _refused(key, subject_id, "language", exc)
    return _back(key, subject_id, _("Language changed; the next texts use it."))


@bp.route("/studies/<key>/participants/<subject_id>/diary-entries", methods=["POST"])
def staff_entry(key, subject_id):
    """A diary day transcribed by staff (paper diary, call): it corrects the day's current
    entry when there is one, which then needs the reason the form asks for anyway."""
    access, p = participant_for(key, subject_id, need="write")
    f = _form()
    try:
        body = load(StaffEntryIn(), {
            "diary_date": text(f.get("diary_date")) or "", "score": integer(f.get("score"),
                                                                              "score"),
            "client_id": f.get("client_id", ""), "source": f.get("source", ""),
            "reason": text(f.get("reason")) or ""})
        s = db()
        current = s.scalar(select(DiaryEntry.id).where(
            DiaryEntry.participant_id == p.id, DiaryEntry.diary_date == body["diary_date"],
            DiaryEntry.is_current.is_(True)))
        e = entries.NewEntry(diary_date=body["diary_date"], score=body["score"],
                             client_id=str(body["client_id"]), device_time=None,
                             reason=body["reason"], channel="coordinator",
                             source=body["source"], corrects=current)
        try:
            entries.record_diary_entry(s, p, access.protocol, e, actor=access.who.actor,
                                       now=now(), recorded_by=access.who.account_id)
        except DomainError as exc:
            raise refused(exc) from None
    except FormError as exc:
        return _refused(key, subject_id, "entry", exc)
    return _back(key, subject_id, _("Diary entry for %(day)s saved.",
                                    day=body["diary_date"].isoformat()))
