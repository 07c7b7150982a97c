"""Taking access back: sign-out, own password change, and the administrator's account
actions (disable, enable, password reset, token revocation); a device's sign-out by its
coordinator. Every action is audited by diary.services.sessions."""

from flask import current_app
from flask.views import MethodView

from diary.api.access_schemas import (
    OptionalReasonIn,
    PasswordChangeIn,
    PasswordResetIn,
    ReasonIn,
    RevokedOut,
)
from diary.api.blueprint import Blueprint
from diary.api.context import (
    BEARER,
    authenticated,
    bearer_token,
    client_address,
    db,
    now,
    principal,
)
from diary.api.schemas import AccountOut
from diary.services import sessions

blp = Blueprint("access", __name__, description="Signing out, passwords, revoking access")


@blp.route("/auth/logout")
class Logout(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(204)
    def post(self):
        """Sign out: this token (staff or device) stops working at once"""
        sessions.revoke_token(db(), bearer_token(), now=now(), actor=principal().actor)


@blp.route("/auth/password")
class OwnPassword(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(PasswordChangeIn)
    @blp.response(204)
    @blp.alt_response(403, description="The current password is wrong, or not staff")
    @blp.alt_response(422, description="The new password breaks the policy")
    @blp.alt_response(429, description="Too many wrong passwords")
    def post(self, body):
        """Change your own password (the current one is required); your other tokens stop
        working"""
        sessions.change_password(db(), principal(), now=now(),
                                 ph=current_app.extensions["paindiary"].hasher,
                                 client=client_address(), **body)


@blp.route("/accounts/<int:account_id>/disabling")
class Disable(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(ReasonIn)
    @blp.response(200, AccountOut)
    @blp.alt_response(403, description="Only administrators")
    @blp.alt_response(409, description="Already disabled")
    def post(self, body, account_id):
        """Disable an account: no sign-in, and its tokens stop working at once"""
        return sessions.disable_account(db(), principal(), account_id, now=now(),
                                        reason=body["reason"])


@blp.route("/accounts/<int:account_id>/enabling")
class Enable(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(ReasonIn)
    @blp.response(200, AccountOut)
    @blp.alt_response(403, description="Only administrators")
    @blp.alt_response(409, description="Not disabled")
    def post(self, body, account_id):
        """Enable a disabled account again"""
        return sessions.enable_account(db(), principal(), account_id, now=now(),
                                       reason=body["reason"])


@blp.route("/accounts/<int:account_id>/password-reset")
class Reset(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(PasswordResetIn)
    @blp.response(200, AccountOut)
    @blp.alt_response(403, description="Only administrators")
    @blp.alt_response(422, description="The new password breaks the policy")
    def post(self, body, account_id):
        """Set a new password for an account; all its tokens stop working"""
        return sessions.reset_password(db(), principal(), account_id, now=now(),
                                       new_password=body["new_password"],
                                       ph=current_app.extensions["paindiary"].hasher)


@blp.route("/accounts/<int:account_id>/token-revocation")
class RevokeAccountTokens(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(OptionalReasonIn)
    @blp.response(200, RevokedOut)
    @blp.alt_response(403, description="Only administrators")
    def post(self, body, account_id):
        """Sign an account out everywhere"""
        n = sessions.revoke_user_tokens(db(), principal(), account_id, now=now(),
                                        reason=body["reason"])
        return {"tokens_revoked": n}


@blp.route("/studies/<key>/participants/<subject_id>/device-revocation")
class RevokeDevice(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(OptionalReasonIn)
    @blp.response(200, RevokedOut)
    @blp.alt_response(404, description="No such participant at your sites")
    def post(self, body, key, subject_id):
        """Sign a participant's devices out (a lost phone); issue a new activation code to
        let them back in"""
        n = sessions.revoke_device_tokens(db(), principal(), key, subject_id, now=now(),
                                          reason=body["reason"])
        return {"tokens_revoked": n}
