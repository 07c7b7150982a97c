"""``flask --app app accounts ...``: taking access back from the server's command line
(the operator acts as an administrator; every action is audited as ``cli``)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from diary.errors import DomainError
from diary.services import sessions
from diary.services.principals import cli_principal

accounts_cli = AppGroup("accounts", help="Staff accounts: disable, reset, revoke tokens.")


def _run(action):
    """Run ``action(session, rt)`` in a session; a refused request is a one-line error."""
    rt = current_app.extensions["paindiary"]
    with rt.session_factory() as session:
        try:
            return action(session, rt)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None


@accounts_cli.command("list")
def accounts_list() -> None:
    """Every account: id, email, administrator or not, disabled or not."""
    for a in _run(lambda s, rt: sessions.list_accounts(s, cli_principal())):
        state = f"disabled {a.disabled_at:%Y-%m-%d %H:%M} UTC" if a.disabled_at else "active"
        click.echo(f"{a.id}\t{a.email}\t{'admin' if a.is_superuser else 'staff'}\t{state}")


@accounts_cli.command("disable")
@click.argument("email")
@click.option("--reason", required=True, help="Why (kept in the audit trail).")
def accounts_disable(email: str, reason: str) -> None:
    """Disable EMAIL's account: no sign-in, its tokens stop working at once."""
    _run(lambda s, rt: sessions.disable_account(
        s, cli_principal(), sessions.account_id_for(s, email), now=rt.clock.now(),
        reason=reason))
    click.echo(f"{email} disabled; its tokens are revoked")


@accounts_cli.command("enable")
@click.argument("email")
@click.option("--reason", required=True, help="Why (kept in the audit trail).")
def accounts_enable(email: str, reason: str) -> None:
    """Enable EMAIL's disabled account again."""
    _run(lambda s, rt: sessions.enable_account(
        s, cli_principal(), sessions.account_id_for(s, email), now=rt.clock.now(),
        reason=reason))
    click.echo(f"{email} enabled")


@accounts_cli.command("reset-password")
@click.argument("email")
@click.password_option(help="At least 12 characters, not a common password; prompted "
                            "for when omitted.")
def accounts_reset_password(email: str, password: str) -> None:
    """Set a new password for EMAIL; all of its tokens stop working."""
    _run(lambda s, rt: sessions.reset_password(
        s, cli_principal(), sessions.account_id_for(s, email), new_password=password,
        now=rt.clock.now(), ph=rt.hasher))
    click.echo(f"password of {email} reset; its tokens are revoked")


@accounts_cli.command("revoke-tokens")
@click.argument("email")
@click.option("--reason", default=None, help="Why (kept in the audit trail).")
def accounts_revoke_tokens(email: str, reason: str | None) -> None:
    """Sign EMAIL out everywhere (every token of the account stops working)."""
    n = _run(lambda s, rt: sessions.revoke_user_tokens(
        s, cli_principal(), sessions.account_id_for(s, email), now=rt.clock.now(),
        reason=reason))
    click.echo(f"{n} token(s) of {email} revoked")


@accounts_cli.command("revoke-device")
@click.argument("study")
@click.argument("subject_id")
@click.option("--reason", default=None, help="Why (kept in the audit trail).")
def accounts_revoke_device(study: str, subject_id: str, reason: str | None) -> None:
    """Sign SUBJECT_ID's devices out; a new activation code lets them back in."""
    n = _run(lambda s, rt: sessions.revoke_device_tokens(
        s, cli_principal(), study, subject_id, now=rt.clock.now(), reason=reason))
    click.echo(f"{n} device token(s) of {subject_id} revoked")
