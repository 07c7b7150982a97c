"""The libpq statement helper of the diary fast path (issue 20): placeholders and values."""

from datetime import UTC, date, datetime, timedelta

from diary.db.prepared import Prepared, text_param


def test_named_parameters_are_numbered_in_order_of_first_use():
    s = Prepared("p", "SELECT %(b)s, %(a)s WHERE %(b)s IS NOT NULL AND x = %(c)s")
    assert (s.sql, s.names) == (b"SELECT $1, $2 WHERE $1 IS NOT NULL AND x = $3",
                                ["b", "a", "c"])


def test_values_are_sent_in_postgresqls_text_format():
    assert [text_param(v) for v in (None, 7, "é", date(2027, 3, 1),
                                    datetime(2027, 3, 1, 17, 5, 1, 20, tzinfo=UTC),
                                    timedelta(minutes=5))] \
        == [None, b"7", "é".encode(), b"2027-03-01", b"2027-03-01T17:05:01.000020+00:00",
            b"300.0 seconds"]
