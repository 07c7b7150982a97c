"""Electronic signatures on the dashboard's forms (issues 15 and 17): an action the
protocol lists under ``signatures`` asks for the password again and a meaning, is refused
as a form message without them, and records the signature when signed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from diary.db.audit_models import AuditRecord
from diary.db.models import Participant
from tests.conftest import MINIMAL_CROSSOVER
from tests.e2e.test_dashboard_records import Browser

STUDY = "mini-crossover"
PASSWORD = "correct horse battery"  # the conftest admin's
P = f"/studies/{STUDY}/participants/S1"
SIGNED = MINIMAL_CROSSOVER + """\
signatures:
  withdrawal: true
"""


@pytest.fixture
def web(app, api):
    admin = api.create_admin()
    api.create_study(admin, SIGNED)
    api.enrol(admin, STUDY, subject_id="S1", site="PAR", sequence="KP")
    return Browser(app, "admin@site.org", PASSWORD)


def _withdrawn(app) -> bool:
    with app.extensions["paindiary"].session_factory() as s:
        return s.scalar(select(Participant.withdrawn_at)) is not None


def test_the_withdrawal_form_asks_for_a_signature_the_protocol_lists(web):
    page = web.get(P).get_data(as_text=True)
    assert 'name="signature.password"' in page and 'name="signature.meaning"' in page


@pytest.mark.parametrize(("signature", "says"), [
    ({}, "electronic signature"),
    ({"signature.meaning": "I withdraw S1", "signature.password": "not my password"},
     "does not match"),
])
def test_an_unsigned_or_wrongly_signed_withdrawal_is_a_form_message(web, app, signature,
                                                                     says):
    r = web.post(P + "/withdrawal", {"reason": "moved away", **signature})
    assert r.status_code == 422
    assert says in r.get_data(as_text=True)
    assert not _withdrawn(app)


def test_a_signed_withdrawal_records_the_signer_and_meaning(web, app):
    r = web.post(P + "/withdrawal", {"reason": "moved away", "signature.password": PASSWORD,
                                     "signature.meaning": "I withdraw S1 at their request"})
    assert r.status_code == 302 and _withdrawn(app)
    with app.extensions["paindiary"].session_factory() as s:
        record = s.scalars(select(AuditRecord).where(
            AuditRecord.action.like("%withdraw%"))).one()
    assert record.signature["meaning"] == "I withdraw S1 at their request"
    assert re.fullmatch(r"admin@site\.org", record.signature["signer"])
