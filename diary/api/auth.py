"""Staff login, account creation, and device activation."""

from flask import current_app
from flask.views import MethodView

from diary.api.blueprint import Blueprint
from diary.api.context import (
    BEARER,
    authenticated,
    client_address,
    db,
    now,
    principal,
    request_id,
)
from diary.api.schemas import AccountIn, AccountOut, ActivatedOut, ActivateIn, LoginIn, TokenOut
from diary.services import accounts, enrolment, sessions

blp = Blueprint("auth", __name__, description="Logging in and activating devices")


def _runtime():
    return current_app.extensions["paindiary"]


@blp.route("/auth/login")
class Login(MethodView):
    @blp.arguments(LoginIn)
    @blp.response(200, TokenOut)
    @blp.alt_response(401, description="Wrong email or password")
    @blp.alt_response(403, description="The account is disabled")
    @blp.alt_response(429, description="Too many failed attempts from this client or for "
                                        "this email: wait Retry-After seconds")
    def post(self, body):
        """Log in as staff and receive a bearer token"""
        rt = _runtime()
        return accounts.login(db(), email=body["email"], password=body["password"],
                              now=now(), ph=rt.hasher, ttl=rt.config["TOKEN_TTL"],
                              client=client_address())


@blp.route("/participant/activate")
class Activate(MethodView):
    @blp.arguments(ActivateIn)
    @blp.response(200, ActivatedOut)
    @blp.alt_response(401, description="Unknown code")
    @blp.alt_response(403, description="Code used or expired, or participant withdrawn")
    @blp.alt_response(429, description="Too many wrong codes from this client or for this "
                                        "code: wait Retry-After seconds")
    def post(self, body):
        """Exchange a single-use activation code for the device's bearer token"""
        return enrolment.activate(db(), code=body["code"], now=now(), ph=_runtime().hasher,
                                  request_id=request_id(), client=client_address())


@blp.route("/accounts")
class Accounts(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(200, AccountOut(many=True))
    @blp.alt_response(403, description="Only administrators list accounts")
    def get(self):
        """Staff accounts, with when each was disabled (administrators only)"""
        return sessions.list_accounts(db(), principal())

    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(AccountIn)
    @blp.response(201, AccountOut)
    @blp.alt_response(403, description="Only administrators create accounts")
    @blp.alt_response(409, description="The email has an account")
    def post(self, body):
        """Create a staff account (administrators only)"""
        return accounts.create_account(db(), principal(), email=body["email"],
                                       password=body["password"],
                                       is_superuser=body["is_superuser"], now=now(),
                                       ph=_runtime().hasher)
