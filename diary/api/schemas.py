"""marshmallow schemas: the only way data enters (``arguments``) and leaves (``response``)."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from diary.db.models import Account, Participant, Screening
from diary.timezones import utc_instant

Strict = ma.RAISE


class JsonBoolean(fields.Boolean):
    """JSON true/false only: 0, 1 and "yes" are refused, not coerced."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Instant(fields.AwareDateTime):
    """An ISO 8601 date-time with a UTC offset, loaded as UTC within diary.timezones'
    EARLIEST..LATEST (a far date with an offset would overflow the conversion)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return utc_instant(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from None


def fits(column, minimum: int = 0) -> validate.Length:
    """A length check taken from the column a field is stored in (one rule, not two):
    longer text is refused by PostgreSQL with a server error and kept whole by SQLite."""
    return validate.Length(minimum or None, column.type.length)


class NoDuplicates(validate.Validator):
    """Each item of a list once: a repeated item is a client mistake, never a request."""

    def __call__(self, value):
        seen = set()
        for item in value:
            if item in seen:
                raise ma.ValidationError(f"lists {item!r} more than once")
            seen.add(item)
        return value


class In(ma.Schema):
    class Meta:
        unknown = Strict


# --- common ---------------------------------------------------------------------------

class PageArgs(In):
    page = fields.Integer(strict=False, load_default=1, validate=validate.Range(1, 1_000_000))
    page_size = fields.Integer(strict=False, load_default=50, validate=validate.Range(1, 500))


class PageMeta(ma.Schema):
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()


class Health(ma.Schema):
    status = fields.String()


# --- auth -----------------------------------------------------------------------------

class LoginIn(In):
    email = fields.Email(required=True, validate=fits(Account.email))
    # Longer than the policy's 256 (diary.passwords), which counts after normalisation.
    password = fields.String(required=True, validate=validate.Length(1, 1024))


class TokenOut(ma.Schema):
    token = fields.String()
    expires_at = fields.AwareDateTime(allow_none=True)


class ActivateIn(In):
    code = fields.String(required=True, validate=validate.Length(1, 40),
                         metadata={"example": "ABCD-EFGH-JKLM"})


class ActivatedOut(ma.Schema):
    token = fields.String()
    study = fields.String()
    subject_id = fields.String()


class AccountIn(In):
    email = fields.Email(required=True, validate=fits(Account.email))
    # The policy (12 characters or more, not a common password) answers with its rule.
    password = fields.String(required=True, validate=validate.Length(max=1024))
    is_superuser = JsonBoolean(load_default=False)


class AccountOut(ma.Schema):
    id = fields.Integer()
    email = fields.String()
    is_superuser = fields.Boolean()
    created_at = fields.AwareDateTime()
    disabled_at = fields.AwareDateTime(allow_none=True)
    password_changed_at = fields.AwareDateTime(allow_none=True)


# --- studies --------------------------------------------------------------------------

class ProtocolUpload(ma.Schema):
    protocol = Upload(required=True, metadata={"description": "The protocol YAML file"})


class VersionOut(ma.Schema):
    version = fields.Integer()
    label = fields.String()
    sha256 = fields.String()
    loaded_at = fields.AwareDateTime()


class VersionSourceOut(VersionOut):
    source = fields.String()


class ChangeOut(ma.Schema):
    path = fields.String(metadata={"description": "e.g. assessments[pain_d7].window.close; "
                                                  "list items by key, else by position"})
    kind = fields.String(metadata={"description": "added, removed, changed or reordered"})
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)


class VersionDiffOut(ma.Schema):
    study = fields.String()
    old = fields.Nested(VersionOut)
    new = fields.Nested(VersionOut)
    changes = fields.List(fields.Nested(ChangeOut))
    text = fields.String(metadata={"description": "Unified diff of the two files"})


class StudyOut(ma.Schema):
    key = fields.String()
    title = fields.String()
    current_version = fields.Integer()
    created_at = fields.AwareDateTime()


class ProtocolWarningOut(ma.Schema):
    path = fields.String()
    rule = fields.String()


class StudyDetailOut(StudyOut):
    design = fields.String()
    timezone = fields.String()
    sites = fields.List(fields.String())
    arms = fields.List(fields.String())
    sequences = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    anchors = fields.List(fields.String())
    versions = fields.List(fields.Nested(VersionOut))
    blinding = fields.String(metadata={"description": "double, single or open"})
    randomisation = fields.Dict(metadata={
        "description": "method (manual or list) and stratify_by (e.g. [site])"})
    # On create and upgrade: what the protocol check warns about (issue 13).
    warnings = fields.List(fields.Nested(ProtocolWarningOut))


MAX_ROLE_SITES = 1000  # more sites than any trial has; each is checked against the protocol


class RoleIn(In):
    email = fields.Email(required=True, validate=fits(Account.email))
    role = fields.String(required=True, validate=validate.OneOf(["admin", "coordinator",
                                                                 "viewer"]))
    sites = fields.List(fields.String(validate=fits(Participant.site)), allow_none=True,
                        load_default=None,
                        validate=[validate.Length(max=MAX_ROLE_SITES), NoDuplicates()],
                        metadata={"description": "null: every site"})
    unblinded = fields.Boolean(load_default=False, metadata={
        "description": "May see arms, sequences and treatments of a blinded study "
                       "(audited); false: masked codes"})


class RoleOut(ma.Schema):
    email = fields.String()
    role = fields.String()
    sites = fields.List(fields.String(), allow_none=True)
    unblinded = fields.Boolean()


# --- participants ---------------------------------------------------------------------

class EnrolIn(In):
    subject_id = fields.String(required=True, validate=fits(Participant.subject_id, 1))
    site = fields.String(required=True, validate=fits(Participant.site, 1))
    arm = fields.String(load_default=None, allow_none=True, validate=fits(Participant.arm))
    sequence = fields.String(load_default=None, allow_none=True,
                             validate=fits(Participant.sequence))
    timezone = fields.String(load_default=None, allow_none=True,
                             validate=fits(Participant.timezone),
                             metadata={"description": "Area/Location IANA zone or UTC; "
                                                      "default: the study's"})
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64),
                          metadata={"description": "E.164, e.g. +14155550100"})
    # No length check here: enrolment's "HH:MM" rule (fullmatch) says more than a length.
    reminder_time = fields.String(load_default=None, allow_none=True,
                                  metadata={"description": 'Local "HH:MM" evening reminder'})
    language = fields.String(load_default=None, allow_none=True,
                             validate=fits(Participant.language))
    screening_number = fields.String(load_default=None, allow_none=True,
                                     validate=fits(Screening.screening_number),
                                     metadata={"description": "When the study screens"})
    screening_override = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(1, 1000),
        metadata={"description": "Why to enrol despite a failed or missing screening"})


class CompletionOut(ma.Schema):
    expected_days = fields.Integer()
    completed_days = fields.Integer()
    rate = fields.Float(allow_none=True, metadata={
        "description": "completed / expected, 4 decimals (half away from zero)"})
    percent = fields.Float(allow_none=True, metadata={
        "description": "100 * completed / expected, one decimal (half away from zero)"})
    today_done = fields.Boolean()


class ParticipantOut(ma.Schema):
    subject_id = fields.String()
    site = fields.String()
    arm = fields.String(allow_none=True, metadata={
        "description": "A masked code (ARM-x) for blinded staff of a double-blind study"})
    sequence = fields.String(allow_none=True, metadata={
        "description": "A masked code (SEQ-n) for blinded staff of a double-blind study"})
    timezone = fields.String()
    language = fields.String()
    reminder_time = fields.String()
    reminder_time_chosen = fields.Boolean(metadata={
        "description": "An own choice; false: the study's daily_time, which upgrades move"})
    phone = fields.String(allow_none=True, metadata={"description": "Masked"})
    status = fields.String()
    enrolled_at = fields.AwareDateTime()
    withdrawn_at = fields.AwareDateTime(allow_none=True)
    withdrawal_reason = fields.String(allow_none=True)
    sms_opted_out_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When the participant replied STOP"})
    sms_problem = fields.String(
        allow_none=True, metadata={"description": "Last permanent delivery failure"})
    sms_problem_at = fields.AwareDateTime(allow_none=True)
    completion = fields.Nested(CompletionOut, allow_none=True)


class ParticipantPage(PageMeta):
    items = fields.List(fields.Nested(ParticipantOut))


class ParticipantListArgs(PageArgs):
    site = fields.String(load_default=None)


ACTIVATION_URL = fields.String(metadata={
    "description": "Opens the participant web app with the code filled in "
                   "(APP_BASE_URL/app/activate?code=...); the dashboard shows it as a QR code"})


class EnrolledOut(ParticipantOut):
    activation_code = fields.String()
    activation_expires_at = fields.AwareDateTime()
    activation_url = ACTIVATION_URL


class CodeOut(ma.Schema):
    activation_code = fields.String()
    activation_expires_at = fields.AwareDateTime()
    activation_url = ACTIVATION_URL


class ReminderTimeIn(In):
    # No length check here: the "HH:MM" rule (fullmatch) says more than a length.
    reminder_time = fields.String(required=True, allow_none=True, metadata={
        "description": 'Local "HH:MM" outside quiet hours; null: the study\'s daily_time'})


class LangArgs(In):
    lang = fields.String(load_default=None, validate=fits(Participant.language, 1), metadata={
        "description": "Show texts in this language instead of yours (e.g. fr); one "
                       "without a catalog falls back to the study's, then English"})


class LanguageIn(In):
    language = fields.String(required=True, validate=fits(Participant.language, 1), metadata={
        "description": "One of the study's languages (protocol ``languages``), e.g. fr"})


class SignatureIn(In):
    """An electronic signature (21 CFR Part 11): the signer's password again and what the
    signature means. Required for the actions the protocol's ``signatures`` names."""

    password = fields.String(required=True, validate=validate.Length(1, 1000),
                             metadata={"description": "Your password, entered again"})
    meaning = fields.String(required=True, validate=validate.Length(1, 200),
                            metadata={"description": "What you sign for, e.g. one of the "
                                                     "protocol's listed meanings"})


SIGNATURE = {"description": "Electronic signature: required when the study's protocol "
                            "lists this action under `signatures`"}


class WithdrawIn(In):
    reason = fields.String(required=True, validate=validate.Length(1, 1000))
    signature = fields.Nested(SignatureIn, load_default=None, metadata=SIGNATURE)


class WindowFields(ma.Schema):
    """A window's fields both staff and participants see; never the treatment."""

    id = fields.String()
    assessment = fields.String()
    # What the window opens: questionnaire, side_effects (the checklist, answered with
    # POST /me/side-effects) or adverse_events (the coordinators' form); see the README.
    form = fields.String()
    instrument = fields.String()
    event_id = fields.String()
    anchor = fields.String()
    occurrence = fields.Integer()
    period = fields.Integer(allow_none=True)
    target_day = fields.Integer(allow_none=True)
    opens_at = fields.AwareDateTime()
    closes_at = fields.AwareDateTime()
    opens_local = fields.String()
    closes_local = fields.String()


class WindowOut(WindowFields):
    treatment = fields.String(allow_none=True, metadata={
        "description": "A masked code for blinded staff of a double-blind study"})


class DiarySpanOut(ma.Schema):
    event_id = fields.String()
    anchor = fields.String()
    period = fields.Integer(allow_none=True)
    treatment = fields.String(allow_none=True)
    anchor_date = fields.Date()
    first = fields.Date()
    last = fields.Date()


class ScheduleOut(ma.Schema):
    windows = fields.List(fields.Nested(WindowOut))
    diary_spans = fields.List(fields.Nested(DiarySpanOut))


# --- diary entries --------------------------------------------------------------------

class EntryIn(In):
    diary_date = fields.Date(required=True, metadata={"description": "Local diary date"})
    score = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10),
                           metadata={"description": "NRS 0-10, an integer"})
    client_id = fields.UUID(required=True,
                            metadata={"description": "Client-generated; retries reuse it"})
    device_time = Instant(required=True, metadata={"description": "With a UTC offset"})
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(1, 1000),
                           metadata={"description": "Required to correct an existing day"})


class EntryOut(ma.Schema):
    id = fields.String()
    diary_date = fields.Date()
    score = fields.Integer()
    client_id = fields.String()
    device_time = fields.AwareDateTime(allow_none=True)
    received_at = fields.AwareDateTime()
    version = fields.Integer()
    is_current = fields.Boolean()
    supersedes_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    channel = fields.String()
    entry_source = fields.String(metadata={"description": "participant, or the staff source"})


class EntryPage(PageMeta):
    items = fields.List(fields.Nested(EntryOut))


class EntryListArgs(PageArgs):
    current_only = fields.Boolean(load_default=False)


class DiaryTaskOut(ma.Schema):
    diary_date = fields.Date()
    due = fields.Boolean()
    done = fields.Boolean()
    entry_id = fields.String(allow_none=True)
    accept_until = fields.AwareDateTime(allow_none=True)


class WindowTaskOut(WindowFields):
    """A window as the participant's app sees it: no treatment (blinding)."""

    done = fields.Boolean()
    title = fields.String(metadata={
        "description": "What the window opens, in your language: the assessment's label "
                       "or the instrument's name"})


class TasksOut(ma.Schema):
    today = fields.Date()
    timezone = fields.String()
    withdrawn = fields.Boolean()
    diary = fields.Nested(DiaryTaskOut, allow_none=True)
    open_windows = fields.List(fields.Nested(WindowTaskOut))


class MeOut(ma.Schema):
    study = fields.String()
    study_title = fields.String()
    subject_id = fields.String()
    timezone = fields.String()
    language = fields.String()
    reminder_time = fields.String()
    reminder_time_chosen = fields.Boolean(metadata={
        "description": "Your own choice; false: the study's time"})
    enrolled_at = fields.AwareDateTime()
    withdrawn_at = fields.AwareDateTime(allow_none=True)


# --- endpoint exports -----------------------------------------------------------------

class ExportArgs(In):
    layout = fields.String(load_default="wide",
                           validate=validate.OneOf(["wide", "long", "summary", "trace"]))
    format = fields.String(load_default="csv",
                           validate=validate.OneOf(["csv", "xlsx", "xpt", "png", "svg"]),
                           metadata={"description": "png and svg draw the figure named by "
                                                    "`figure` instead of a table"})
    figure = fields.String(load_default="mean", validate=validate.OneOf(["mean", "participants"]),
                           metadata={"description": "With format png or svg: mean daily "
                                                    "pain (± SE) per treatment or arm, or "
                                                    "one curve per participant-period"})
    part = fields.String(load_default="data", validate=validate.OneOf(["data", "dictionary"]),
                         metadata={"description": "CSV and XPT carry the data dictionary "
                                                  "as a separate file; XLSX as a sheet"})

