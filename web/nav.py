"""The dashboard's navigation: the tabs of a study's pages, in order.

A new study page adds one line here: (endpoint, label function); the endpoint takes the
study ``key`` as its only URL argument.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STUDY_TABS = [
    ("web.study", _l("Overview")),
    ("web.participants", _l("Participants")),
    ("web.alerts", _l("Alerts")),
    ("web.reminders", _l("Reminders")),
    ("web.exports", _l("Exports")),
    ("web.protocol_versions", _l("Protocol")),
]
