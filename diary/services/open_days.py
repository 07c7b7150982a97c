"""Which participants may enter a day's first diary entry right now, in a form one SQL
statement can check (issue 20): the fast path then authenticates, checks and stores in a
single round trip, while the diary's rules still run only in Python.

:func:`~diary.services.entries.check_entry_rules` reads four facts of a participant: the
time zone, the study's protocol, enrolment and withdrawal. For each (zone, protocol) pair
seen so far, :class:`OpenDays` runs those rules for a participant enrolled long ago and
never withdrawn. Where they pass, a participant of that pair who is not withdrawn passes
them too if enrolled before the next day began in the zone: an instant before the first
instant of day D+1 has a local date of D or earlier (clocks never went back a whole day
since 1867). The statement gets these instants as one JSON object, ``"zone sha256"`` to
an ISO instant, and stores nothing for a participant outside it.

Pure: plain data in, plain data out; protocols come from the function it is given.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from diary.errors import RuleViolation
from diary.protocol.model import Protocol
from diary.services.entries import NewEntry, check_entry_rules, late_entry_deadline
from diary.timezones import local_date, start_of_day, zone

# A participant enrolled at this instant passes the enrolment rule for any date after it.
LONG_AGO = datetime(1900, 1, 2, tzinfo=UTC)
# An answer is reused for at most this long, and only while no zone changes its offset
# (no zone changes it twice within a minute: two equal offsets a minute apart mean none).
REUSE = timedelta(minutes=1)
# Days whose answers are kept: today and yesterday in every zone, with room to spare.
KEPT_DAYS = 8


def pair_key(tz: str, sha256: str) -> str:
    """The JSON key of a (zone, protocol) pair; zone names hold no spaces."""
    return f"{tz} {sha256}"


class OpenDays:
    """Per process: the (zone, protocol) pairs met so far and, per diary date, the JSON
    object of the pairs whose day is open now, reused until one of them may change."""

    def __init__(self, protocol: Callable[[str], Protocol]) -> None:
        self.protocol = protocol
        self.pairs: frozenset[tuple[str, str]] = frozenset()  # replaced, never mutated
        self.answers: dict[date, tuple[str, datetime, datetime]] = {}
        self.lock = threading.Lock()

    def learn(self, tz: str, sha256: str) -> bool:
        """Add a pair the statement met; True when it was new (answers are recomputed)."""
        with self.lock:
            if (tz, sha256) in self.pairs:
                return False
            self.pairs = self.pairs | {(tz, sha256)}
            self.answers.clear()
        return True

    def windows(self, day: date, now: datetime) -> str:
        """The JSON object for entries dated ``day`` submitted at ``now``."""
        cached = self.answers.get(day)
        if cached is not None and cached[1] <= now < cached[2]:
            return cached[0]
        pairs = self.pairs
        opens, until = {}, now + REUSE
        for tz, sha in sorted(pairs):
            instant, pair_until = self._open(tz, sha, day, now)
            if instant is not None:
                opens[pair_key(tz, sha)] = instant.isoformat()
            until = min(until, pair_until)
        text = json.dumps(opens, separators=(",", ":"))
        with self.lock:
            # Kept unless a learner replaced the pairs meanwhile (or nothing is reusable).
            if until > now and self.pairs is pairs:
                if len(self.answers) >= KEPT_DAYS:
                    self.answers.clear()
                self.answers[day] = (text, now, until)
        return text

    def _open(self, tz: str, sha: str, day: date, now: datetime
              ) -> tuple[datetime | None, datetime]:
        """The instant ``day`` + 1 begins in ``tz`` when the rules take an entry for ``day``
        at ``now`` from a participant of this pair enrolled before it (None when they do
        not), and the instant until which that answer holds."""
        protocol = self.protocol(sha)
        try:
            zi = zone(tz)
            next_day = start_of_day(day + timedelta(days=1), zi)
            check_entry_rules(protocol, SimpleNamespace(timezone=tz, enrolled_at=LONG_AGO,
                                                        withdrawn_at=None),
                              NewEntry(diary_date=day, score=0, client_id="",
                                       device_time=None), now)
            answer = next_day
        except RuleViolation:
            answer = None
        except (ValueError, OverflowError):  # a zone or a date at the calendar's ends
            return None, now
        # The rules' answer can change only at a local midnight (the date of "today"), at
        # the late-entry deadline, or when the zone's offset changes.
        until = min(now + REUSE, start_of_day(local_date(now, zi) + timedelta(days=1), zi))
        if protocol.daily_diary is not None:
            deadline = late_entry_deadline(protocol, day, tz)
            if deadline > now:
                until = min(until, deadline)
        if now.astimezone(zi).utcoffset() != until.astimezone(zi).utcoffset():
            until = now  # an offset change ahead: answer afresh each time until it passes
        return answer, until
