"""Admin tasks as Flask CLI commands: ``flask --app app <group> <command>``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from diary.errors import DomainError
from diary.services import accounts, studies
from diary.services.principals import cli_principal

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
admin_cli = AppGroup("admin", help="Staff accounts.")
audit_cli = AppGroup("audit", help="The audit trail.")
studies_cli = AppGroup("studies", help="Studies and protocol files.")
export_cli = AppGroup("export", help="Endpoint tables for the statistician.")
questionnaires_cli = AppGroup("questionnaires", help="Questionnaire responses.")


def _rt():
    return current_app.extensions["paindiary"]


def _issue_lines(issues: list[tuple[str, str]]) -> str:
    """One indented ``path: rule`` line per issue (a YAML error has no path)."""
    return "".join(f"\n  {path}: {rule}" if path else f"\n  {rule}" for path, rule in issues)


def _fail(error: DomainError):
    raise click.ClickException(error.message + _issue_lines(getattr(error, "issues", [])))


def _echo_warnings(name: str, warnings: list[tuple[str, str]]) -> None:
    for path, rule in warnings:
        click.echo(f"{name}: warning: {path}: {rule}", err=True)


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or migrate the schema of DATABASE_URL."""
    from diary.db.migrate import upgrade

    upgrade(_rt().engine, revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the schema down to REVISION (e.g. base)."""
    from diary.db.migrate import downgrade

    downgrade(_rt().engine, revision)
    click.echo(f"database at {revision}")


@admin_cli.command("create")
@click.option("--email", required=True)
@click.password_option(help="At least 12 characters, not a common password; prompted "
                            "for when omitted.")
def admin_create(email: str, password: str) -> None:
    """Create an administrator account (the first one, or another)."""
    rt = _rt()
    with rt.session_factory() as session:
        try:
            account = accounts.create_account(session, cli_principal(), email=email,
                                              password=password, is_superuser=True,
                                              now=rt.clock.now(), ph=rt.hasher)
        except DomainError as exc:
            _fail(exc)
    click.echo(f"administrator {account.email} created (id {account.id})")


@audit_cli.command("verify")
@click.option("--seals", "seals_file", type=click.Path(exists=True, dir_okay=False,
                                                        path_type=Path),
              help="The archived checkpoint file (audit-seals.jsonl) to check against.")
@click.option("--public-key", "public_key", type=click.Path(exists=True, dir_okay=False,
                                                             path_type=Path),
              help="The seal public key (PEM or base64); default: the configured key's.")
def audit_verify(seals_file: Path | None, public_key: Path | None) -> None:
    """Check every chain, the signed seals and the clinical tables against the trail;
    name each problem and exit 1 if there is any."""
    from diary.audit_keys import SealKeyError, load_public_key, load_signer
    from diary.audit_verify import verify_all

    rt = _rt()
    try:
        if public_key is not None:
            public = load_public_key(public_key.read_text(), str(public_key))
        else:
            signer = load_signer(rt.config, create=False)
            public = signer.public_key() if signer else None
    except SealKeyError as exc:
        raise click.ClickException(str(exc)) from None
    with rt.session_factory() as session:
        report = verify_all(session, public=public, seals_file=seals_file)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    summary = (f"{report.records} records verified, {report.seals} seals, "
               f"{report.rows} clinical rows checked")
    if report.ok:
        click.echo(f"audit trail intact: {summary}")
        return
    click.echo(f"audit trail BROKEN: {len(report.problems)} problem(s); {summary}", err=True)
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    raise SystemExit(1)


@audit_cli.command("seal")
def audit_seal() -> None:
    """Sign the chain heads now and append the seal to the checkpoint file
    (AUDIT_SEALS_FILE); the scheduler does this every AUDIT_SEAL_INTERVAL_SECONDS."""
    from diary.audit_keys import SealKeyError
    from diary.audit_verify import seal_now

    rt = _rt()
    try:
        line = seal_now(rt.session_factory, rt.config, rt.clock.now())
    except SealKeyError as exc:
        raise click.ClickException(str(exc)) from None
    if line is None:
        raise click.ClickException("another process is sealing right now; try again")
    data = line.data
    click.echo(f"seal {data['number']}: {len(data['heads'])} chain head(s) signed with key "
               f"{data['key']}, appended to {rt.config['AUDIT_SEALS_FILE']}")


@audit_cli.command("public-key")
def audit_public_key() -> None:
    """Print the seal public key (PEM): give it, with the checkpoint file, to whoever
    verifies the trail elsewhere (``audit verify --public-key``)."""
    from diary.audit_keys import SealKeyError, key_id, load_signer, public_pem

    try:
        signer = load_signer(_rt().config, create=False)
    except SealKeyError as exc:
        raise click.ClickException(str(exc)) from None
    if signer is None:
        raise click.ClickException("no seal key yet: `audit seal` creates one")
    public = signer.public_key()
    click.echo(public_pem(public).decode().rstrip())
    click.echo(f"key id {key_id(public)}", err=True)


@audit_cli.command("export")
@click.option("--study", "key", required=True, help="The study key.")
@click.option("--subject", default=None, help="Only this participant's records.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              required=True)
@click.option("--masked", is_flag=True, help="Arms, sequences and treatments as the "
                                             "study's masked codes.")
def audit_export(key: str, subject: str | None, fmt: str, output: Path, masked: bool) -> None:
    """Write the audit trail of a study or one participant for an inspector (audited)."""
    from diary.audit_export import export_trail, render
    from diary.exports.csv_xlsx import atomic_path

    rt = _rt()
    with rt.session_factory() as session:
        try:
            export = export_trail(session, cli_principal(unblinded=not masked), key,
                                  fmt=fmt, now=rt.clock.now(), subject_id=subject)
        except DomainError as exc:
            _fail(exc)
    with atomic_path(output) as tmp:
        with tmp.open("w", encoding="utf-8", newline="") as out:
            out.writelines(render(export))
    click.echo(f"wrote {output}: {export.provenance['records']} records")


def _protocol_text(path: Path) -> str:
    """The file's text, or a one-line error (not a traceback) when it is not UTF-8."""
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path}: not UTF-8 text (byte {exc.start})") from None


@studies_cli.command("create")
@click.argument("protocol_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def studies_create(protocol_file: Path) -> None:
    """Create a study from a protocol YAML file."""
    rt = _rt()
    with rt.session_factory() as session:
        try:
            study, version, warnings = studies.create_study(
                session, cli_principal(), source=_protocol_text(protocol_file),
                now=rt.clock.now(), name=str(protocol_file))
        except DomainError as exc:
            _fail(exc)
    _echo_warnings(str(protocol_file), warnings)
    click.echo(f"study {study.key} created, protocol version 1 (sha256 {version.sha256})")


@studies_cli.command("upgrade")
@click.argument("key")
@click.argument("protocol_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def studies_upgrade(key: str, protocol_file: Path) -> None:
    """Make PROTOCOL_FILE the current protocol of study KEY."""
    rt = _rt()
    with rt.session_factory() as session:
        try:
            study, version, warnings = studies.upgrade_protocol(
                session, cli_principal(), key=key, source=_protocol_text(protocol_file),
                now=rt.clock.now(), name=str(protocol_file))
        except DomainError as exc:
            _fail(exc)
    _echo_warnings(str(protocol_file), warnings)
    click.echo(f"study {study.key} now at protocol version {version.version}")


@studies_cli.command("check")
@click.argument("protocol_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def studies_check(protocol_file: Path) -> None:
    """Validate a protocol file without loading it: every mistake with its path (exit 1),
    and warnings (exit 0)."""
    from diary.protocol.checks import ProtocolError
    from diary.protocol.loader import check_protocol

    name = str(protocol_file)
    try:
        checked = check_protocol(_protocol_text(protocol_file), name=name)
    except ProtocolError as exc:
        raise click.ClickException(f"{name}: {len(exc.issues)} error(s)"
                                   + _issue_lines(exc.issues)) from None
    _echo_warnings(name, checked.warnings)
    protocol = checked.protocol
    click.echo(f"{name}: study {protocol.key} ({protocol.design}) is valid"
               + (f", {len(checked.warnings)} warning(s)" if checked.warnings else ""))


@export_cli.command("endpoints")
@click.option("--study", "key", required=True, help="The study key.")
@click.option("--layout", type=click.Choice(["wide", "long", "summary", "trace"]),
              default="wide", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "xpt", "png", "svg"]),
              default="csv", show_default=True,
              help="png and svg draw the --figure instead of a table.")
@click.option("--figure", type=click.Choice(["mean", "participants"]), default="mean",
              show_default=True,
              help="With png or svg: mean daily pain (± SE) per treatment or arm, or one "
                   "curve per participant-period.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The data file; CSV and XPT get their dictionary beside it.")
@click.option("--masked", is_flag=True,
              help="Arms, sequences and treatments as the study's masked codes, as "
                   "blinded staff see them (e.g. for a blinded committee).")
def export_endpoints_command(key: str, layout: str, fmt: str, figure: str, output: Path,
                             masked: bool) -> None:
    """Score a study and write its endpoint table or figure (audited, like the API export).

    The command line sees the allocation unless ``--masked``."""
    from diary.exports.files import write_export
    from diary.exports.service import export_endpoints

    rt = _rt()
    if fmt in ("png", "svg"):
        _export_figure(rt, key, figure, fmt, output, masked)
        return
    with rt.session_factory() as session, click.progressbar(
            length=1, label="reading diaries", file=sys.stderr,
            show_pos=True) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        try:
            export = export_endpoints(session, cli_principal(unblinded=not masked), key,
                                      layout=layout, fmt=fmt, now=rt.clock.now(),
                                      progress=progress)
        except DomainError as exc:
            _fail(exc)
    for path in write_export(export, fmt, output):
        click.echo(f"wrote {path}")
    click.echo(f"{len(export.table.rows)} rows; protocol version "
               f"{export.provenance['protocol_version']}; tzdata "
               f"{export.provenance['tzdata_version']}")


def _export_figure(rt, key: str, figure: str, fmt: str, output: Path, masked: bool) -> None:
    """Draw one endpoint figure into ``output`` (written atomically)."""
    from diary.exports.csv_xlsx import atomic_path
    from diary.exports.service import export_figure

    with rt.session_factory() as session:
        try:
            drawn = export_figure(session, cli_principal(unblinded=not masked), key,
                                  figure=figure, fmt=fmt, now=rt.clock.now())
        except DomainError as exc:
            _fail(exc)
    with atomic_path(output) as tmp:
        tmp.write_bytes(drawn.content)
    click.echo(f"wrote {output}")
    click.echo(f"{drawn.provenance['records']} records; protocol version "
               f"{drawn.provenance['protocol_version']}; tzdata "
               f"{drawn.provenance['tzdata_version']}")


@export_cli.command("purge")
def export_purge() -> None:
    """Delete the files of background export jobs past their keeping time (cron-friendly;
    the server also purges whenever a job is asked for)."""
    from diary.services.export_jobs import purge_expired

    rt = _rt()
    with rt.session_factory() as session:
        n = purge_expired(session, rt.clock.now(), rt.export_jobs)
    click.echo(f"{n} expired export job(s) purged")


@questionnaires_cli.command("rescore")
@click.option("--study", "key", default=None, help="Only this study.")
@click.option("--instrument", default=None, help="Only this instrument (e.g. phq9).")
def questionnaires_rescore(key: str | None, instrument: str | None) -> None:
    """Recompute stored scores with the current rules; changes are audited (old and new)."""
    from diary.services.questionnaires import rescore

    rt = _rt()
    with rt.session_factory() as session:
        study_id = None
        if key is not None:
            try:
                study_id = studies.get_study(session, cli_principal(), key)[0].id
            except DomainError as exc:
                _fail(exc)
        result = rescore(session, actor=cli_principal().actor, now=rt.clock.now(),
                         study_id=study_id, instrument=instrument)
    click.echo(f"{result.checked} responses checked, {len(result.changed)} rescored")
    for response_id in result.changed:
        click.echo(f"  rescored {response_id}")


def register_cli(app: Flask) -> None:
    from diary.accounts_cli import accounts_cli

    for group in (db_cli, admin_cli, audit_cli, studies_cli, export_cli, questionnaires_cli,
                  accounts_cli):
        app.cli.add_command(group)
