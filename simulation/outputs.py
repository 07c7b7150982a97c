"""What a simulation leaves in DIR: the endpoint tables in every layout and format the
exports offer, the figures, reminder traffic and compliance tables.

The tables and figures come from ``diary.exports`` exactly as the export command writes
them; XLSX and XPORT files then get their creation stamps set to the simulated export
instant, so the same seed gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from diary.db.messaging import InboundSms, OutboxMessage
from diary.db.models import DiaryEntry, Participant, Study
from diary.services.principals import cli_principal
from notifications.planning.messages import gsm7_length

LAYOUTS = ("wide", "long", "summary", "trace")
TABLE_FORMATS = ("csv", "xlsx", "xpt")
FIGURES = ("mean", "participants")
FIGURE_FORMATS = ("png", "svg")
XPT_STAMP = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def write_csv(path: Path, header: list[str], rows: Iterable[Iterable]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


# --- endpoint tables and figures --------------------------------------------------------

def endpoint_files(app, key: str, out: Path, now: datetime,
                   refused: list[str] | None = None, worker=None) -> Callable[[], list[Path]]:
    """Every layout in every table format, with dictionaries, and every figure. An export
    the app refuses (an XPORT value over 200 bytes, a sheet over Excel's rows) is listed
    in ``refused`` with its reason, as the API would have answered it, and skipped.

    The layouts are scored (and their exports audited) here and now; what is returned
    draws the figures and gives every file written, so the caller's other outputs come
    in between. With a ``worker`` (simulation/worker.py) the XLSX and XPORT files and the
    figures are written in that second process meanwhile; the files, and the order of
    ``refused`` and of the list, are the same either way.
    """
    from diary.errors import RuleViolation
    from diary.exports.service import export_endpoints

    rt = app.extensions["paindiary"]
    tables = out / "endpoints"
    tables.mkdir(parents=True, exist_ok=True)
    figures = out / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    done: dict[tuple[str, str], tuple[list[Path], str | None]] = {}
    with rt.session_factory() as session:
        for layout in LAYOUTS:
            formats: dict[str, list[str]] = {}
            exports = {}
            for fmt in TABLE_FORMATS:
                # One scored (and audited) export per layout serves every format, except
                # XPORT's long table, which leaves out the list of source entries.
                kind = "xpt" if fmt == "xpt" and layout == "long" else "csv"
                if kind not in exports:
                    exports[kind] = export_endpoints(session, cli_principal(), key,
                                                     layout=layout, fmt=kind, now=now)
                formats.setdefault(kind, []).append(fmt)
            for kind, export in exports.items():
                mine = [f for f in formats[kind] if worker is None or f == "csv"]
                theirs = [f for f in formats[kind] if f not in mine]
                if theirs:  # one copy of the table sent for all its formats
                    worker.submit([(layout, f) for f in theirs],
                                  ("tables", export, theirs, tables, now))
                for fmt in mine:
                    done[(layout, fmt)] = write_table(export, fmt,
                                                      tables / f"{key}_{layout}.{fmt}", now)

    def finish() -> list[Path]:
        # Figures last: a figure's export holds the database while it draws (SQLite: the
        # write lock), which would have held up the scoring above.
        for figure in FIGURES:
            for fmt in FIGURE_FORMATS:
                path = figures / f"{key}_{figure}.{fmt}"
                if worker is not None:
                    worker.submit([(figure, fmt)], ("figure", key, figure, fmt, path, now))
                else:
                    done[(figure, fmt)] = draw_figure(app, key, figure, fmt, path, now)
        if worker is not None:
            done.update(worker.results())
        written: list[Path] = []
        for layout in LAYOUTS:
            for fmt in TABLE_FORMATS:
                paths, refusal = done[(layout, fmt)]
                written += paths
                if refusal is not None:
                    if refused is None:
                        raise RuleViolation(refusal)
                    refused.append(refusal)
        for figure in FIGURES:
            for fmt in FIGURE_FORMATS:
                written += done[(figure, fmt)][0]
        return written

    return finish


def write_tables(export, formats: list[str], tables: Path, now: datetime
                 ) -> list[tuple[list[Path], str | None]]:
    """``write_table`` for each of ``formats`` (the worker's task for one export)."""
    return [write_table(export, fmt, tables / f"{export.study}_{export.layout}.{fmt}", now)
            for fmt in formats]


def write_table(export, fmt: str, path: Path, now: datetime) -> tuple[list[Path], str | None]:
    """One export's files in ``fmt``, normalised; a refusal gives the file written if any
    (the data without its dictionary) and the line for refusals.txt."""
    from diary.errors import RuleViolation
    from diary.exports.files import write_export

    try:
        paths = write_export(export, fmt, path)
    except RuleViolation as exc:
        kept = []
        if path.exists():  # the data file was written, its dictionary was not
            normalise(path, now)
            kept.append(path)
        what = "dictionary" if path.exists() else "table"
        return kept, (f"endpoints/{path.name} ({what}) not written: {exc.message}")
    for written in paths:
        normalise(written, now)
    return paths, None


def draw_figure(app, key: str, figure: str, fmt: str, path: Path,
                now: datetime) -> tuple[list[Path], None]:
    """One figure, drawn and audited as the export command does, written to ``path``."""
    from diary.exports.csv_xlsx import atomic_path
    from diary.exports.service import export_figure

    with app.extensions["paindiary"].session_factory() as session:
        drawn = export_figure(session, cli_principal(), key, figure=figure, fmt=fmt,
                              now=now)
    with atomic_path(path) as tmp:
        tmp.write_bytes(drawn.content)
    return [path], None


def normalise(path: Path, now: datetime) -> None:
    """Creation stamps set to the simulated instant: XLSX's document properties and zip
    entry times, XPORT's header dates (same length, so the 80-byte records stay)."""
    if path.suffix == ".xlsx":
        path.write_bytes(_normalise_xlsx(path.read_bytes(), now))
    elif path.suffix == ".xpt":
        data = path.read_bytes()
        cut = data.find(b"HEADER RECORD*******OBS")
        head = data[:cut] if cut > 0 else data[:1600]
        stamp = now.strftime("%d%b%y:%H:%M:%S").upper().encode()
        path.write_bytes(XPT_STAMP.sub(stamp, head) + data[len(head):])


def _normalise_xlsx(data: bytes, now: datetime) -> bytes:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>" + stamp + rb"\g<3>", body)
            entry = zipfile.ZipInfo(info.filename, ZIP_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, body)
    return buffer.getvalue()


# --- reminders ---------------------------------------------------------------------------

def segments(body: str) -> int:
    """SMS segments of a text: 160 GSM-7 septets in one, 153 each when split; 70 UCS-2
    characters in one, 67 each when split."""
    septets = gsm7_length(body)
    if septets is not None:
        return 1 if septets <= 160 else -(-septets // 153)
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


@dataclass
class Traffic:
    per_day: dict[date, Counter] = field(default_factory=lambda: defaultdict(Counter))
    per_kind: Counter = field(default_factory=Counter)
    segments_per_kind: Counter = field(default_factory=Counter)
    states: Counter = field(default_factory=Counter)
    peak_minute: tuple[int, str] = (0, "")
    messages: int = 0
    segments: int = 0
    replies: int = 0
    reply_segments: int = 0
    inbound: int = 0
    price: float = 0.0

    @property
    def cost(self) -> float:
        return round((self.segments + self.reply_segments) * self.price, 2)


def reminder_traffic(app, key: str, tz, price: float) -> Traffic:
    """Texts the scheduler sent (and the replies to inbound texts): per day and kind, the
    busiest minute, segments and their cost at ``price`` per segment."""
    rt = app.extensions["paindiary"]
    traffic = Traffic(price=price)
    minutes: Counter = Counter()
    with rt.session_factory() as s:
        study_id = s.scalar(select(Study.id).where(Study.key == key))
        rows = s.execute(select(OutboxMessage.kind, OutboxMessage.state, OutboxMessage.body,
                                OutboxMessage.sent_at)
                         .where(OutboxMessage.study_id == study_id)
                         .order_by(OutboxMessage.due_at, OutboxMessage.key)).all()
        inbound = s.execute(select(InboundSms.reply).join(
            Participant, Participant.id == InboundSms.participant_id)
            .where(Participant.study_id == study_id).order_by(InboundSms.id)).all()
    for kind, state, body, sent_at in rows:
        traffic.states[state] += 1
        if sent_at is None:
            continue
        n = segments(body)
        local = sent_at.astimezone(tz)
        traffic.per_day[local.date()][kind] += 1
        traffic.per_kind[kind] += 1
        traffic.segments_per_kind[kind] += n
        traffic.messages += 1
        traffic.segments += n
        minutes[local.strftime("%Y-%m-%d %H:%M")] += 1
    for (reply,) in inbound:
        traffic.inbound += 1
        if reply:
            traffic.replies += 1
            traffic.reply_segments += segments(reply)
    if minutes:
        busiest = max(minutes.items(), key=lambda kv: (kv[1], [-ord(c) for c in kv[0]]))
        traffic.peak_minute = (busiest[1], busiest[0])
    return traffic


def traffic_files(traffic: Traffic, out: Path) -> list[Path]:
    kinds = sorted(traffic.per_kind)
    per_day = write_csv(out / "reminders" / "messages_per_day.csv", ["date", *kinds, "total"],
                        ([d.isoformat(), *(c[k] for k in kinds), sum(c.values())]
                         for d, c in sorted(traffic.per_day.items())))
    rows = [[k, traffic.per_kind[k], traffic.segments_per_kind[k],
             f"{traffic.segments_per_kind[k] * traffic.price:.2f}"] for k in kinds]
    rows.append(["replies to inbound texts", traffic.replies, traffic.reply_segments,
                 f"{traffic.reply_segments * traffic.price:.2f}"])
    rows.append(["total", traffic.messages + traffic.replies,
                 traffic.segments + traffic.reply_segments, f"{traffic.cost:.2f}"])
    per_kind = write_csv(out / "reminders" / "messages_per_kind.csv",
                         ["kind", "messages", "segments", "cost"], rows)
    summary = write_csv(out / "reminders" / "summary.csv", ["measure", "value"], [
        ["messages sent", traffic.messages],
        ["peak messages in one minute", traffic.peak_minute[0]],
        ["peak minute (local time)", traffic.peak_minute[1]],
        ["segments", traffic.segments],
        ["inbound texts", traffic.inbound],
        ["replies sent", traffic.replies],
        ["reply segments", traffic.reply_segments],
        ["price per segment", f"{traffic.price:.4f}"],
        ["cost", f"{traffic.cost:.2f}"],
        *(["outbox " + state, n] for state, n in sorted(traffic.states.items())),
    ])
    return [per_day, per_kind, summary]


# --- compliance --------------------------------------------------------------------------

@dataclass
class Compliance:
    by_day: dict[date, list[int]]          # date -> [expected, completed]
    by_site: dict[str, list[int]]
    by_group: dict[str, list[int]]

    @property
    def overall(self) -> list[int]:
        return [sum(v[0] for v in self.by_site.values()),
                sum(v[1] for v in self.by_site.values())]


def percent(pair: list[int]) -> str:
    return f"{100 * pair[1] / pair[0]:.1f}" if pair[0] else ""


def compliance(trial, app) -> Compliance:
    """Diary days owed (from enrolment, up to withdrawal) against days with an entry."""
    rt = app.extensions["paindiary"]
    with rt.session_factory() as s:
        entered = set(s.execute(select(Participant.subject_id, DiaryEntry.diary_date)
                                .join(Participant, Participant.id == DiaryEntry.participant_id)
                                .join(Study, Study.id == Participant.study_id)
                                .where(Study.key == trial.key)).all())
        withdrawn = dict(s.execute(select(Participant.subject_id, Participant.withdrawn_at)
                                   .join(Study, Study.id == Participant.study_id)
                                   .where(Study.key == trial.key)).all())
    by_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    by_site: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_group: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for person in trial.people:
        stop = withdrawn.get(person.subject)
        last = stop.astimezone(trial.tz).date() if stop else None
        group = person.arm or ("-".join(person.sequence) if person.sequence else "all")
        for day in person.day_modes:
            if (last is not None and day >= last) or day >= trial.ended.astimezone(
                    trial.tz).date():
                continue
            done = int((person.subject, day) in entered)
            for table, k in ((by_day, day), (by_site, person.site), (by_group, group)):
                table[k][0] += 1
                table[k][1] += done
    return Compliance(dict(by_day), dict(by_site), dict(by_group))


def compliance_files(c: Compliance, out: Path) -> list[Path]:
    header = ["expected", "completed", "percent"]
    return [
        write_csv(out / "compliance" / "by_day.csv", ["date", *header],
                  ([d.isoformat(), *v, percent(v)] for d, v in sorted(c.by_day.items()))),
        write_csv(out / "compliance" / "by_site.csv", ["site", *header],
                  ([k, *v, percent(v)] for k, v in sorted(c.by_site.items()))),
        write_csv(out / "compliance" / "by_arm.csv", ["arm_or_sequence", *header],
                  ([k, *v, percent(v)] for k, v in sorted(c.by_group.items()))),
    ]
