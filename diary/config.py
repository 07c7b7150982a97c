"""Settings: defaults, then environment variables, then the caller's overrides."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from diary.clock import SystemClock

DEFAULT_DB_FILE = "paindiary.sqlite3"


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the instance
    folder: phone numbers are encrypted with it, so it must survive restarts."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def build_config(instance_path: str, overrides: dict | None = None) -> dict:
    overrides = dict(overrides or {})
    instance = Path(instance_path)
    env = os.environ
    config = {
        "DATABASE_URL": env.get("DATABASE_URL")
        or f"sqlite:///{instance / DEFAULT_DB_FILE}",
        "ARGON2_PROFILE": env.get("ARGON2_PROFILE", "default"),
        "TOKEN_TTL": timedelta(hours=int(env.get("TOKEN_TTL_HOURS", "12"))),
        # A device token unused this long stops working; the participant needs a new
        # activation code from the site. 0 turns idle expiry off. Longer than the longest
        # gap between a participant's tasks: the perioperative study's 3- and 6-month
        # questionnaires are 92 days apart, and its diary ends before.
        "DEVICE_TOKEN_IDLE_DAYS": int(env.get("DEVICE_TOKEN_IDLE_DAYS", "120")),
        # PostgreSQL: a day's first diary entry in one statement and a commit (issue 20);
        # 0 sends every submission through the portable path.
        "FAST_INGEST": env.get("FAST_INGEST", "1") != "0",
        # Reverse proxies in front of the app whose X-Forwarded-For is trusted for the
        # client address that sign-in throttling counts per (0: use the socket's peer).
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "ACTIVATION_CODE_TTL": timedelta(days=int(env.get("ACTIVATION_CODE_TTL_DAYS", "7"))),
        "CLOCK": SystemClock(),
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,  # larger bodies get a 413 before parsing
        # Strict-Transport-Security on every response: set HSTS=1 when served over HTTPS
        "HSTS": _flag(env.get("HSTS")),
        # SMS: Twilio when credentials are set, else a console transport that logs
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL"),
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID"),
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN"),
        "TWILIO_FROM": env.get("TWILIO_FROM"),
        "TWILIO_MESSAGING_SERVICE_SID": env.get("TWILIO_MESSAGING_SERVICE_SID"),
        "TWILIO_API_BASE_URL": env.get("TWILIO_API_BASE_URL"),
        # Seconds per API call (default 10), and Twilio's edge location and region
        # (e.g. sydney / au1); checked by notifications.transport.transport_from_config.
        "TWILIO_TIMEOUT": env.get("TWILIO_TIMEOUT"),
        "TWILIO_EDGE": env.get("TWILIO_EDGE"),
        "TWILIO_REGION": env.get("TWILIO_REGION"),
        "SMS_RATE": float(env.get("SMS_RATE", "1")),  # messages per second; 0 = no limit
        "SMS_WORKERS": int(env.get("SMS_WORKERS", "8")),  # parallel senders (PostgreSQL)
        # Background export jobs (issue 15): where their files go, how long they are kept,
        # how many run at once per server process
        "EXPORT_JOBS_DIR": env.get("EXPORT_JOBS_DIR") or str(instance / "export-jobs"),
        "EXPORT_JOB_KEEP": timedelta(hours=int(env.get("EXPORT_JOB_KEEP_HOURS", "24"))),
        "EXPORT_JOB_WORKERS": int(env.get("EXPORT_JOB_WORKERS", "2")),
        # The participant web app's public address, for activation links and QR codes
        # (default: PUBLIC_BASE_URL, else the address the coordinator's request came to)
        "APP_BASE_URL": env.get("APP_BASE_URL"),
        "SCHEDULER_INTERVAL": int(env.get("SCHEDULER_INTERVAL_SECONDS", "60")),
        # The web dashboard's sign-in cookie (web/session.py): Secure whenever the request
        # came over HTTPS; WEB_COOKIE_SECURE=1 forces it (TLS ended by a proxy that hides it)
        "SESSION_COOKIE_NAME": "paindiary_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag(env.get("WEB_COOKIE_SECURE")),
        # Minutes without a request after which the dashboard asks to sign in again
        "WEB_IDLE_MINUTES": int(env.get("WEB_IDLE_MINUTES", "30")),
        # Audit seals (diary/audit_keys.py): the signing key is never in the database
        "AUDIT_SEAL_SIGNER": env.get("AUDIT_SEAL_SIGNER"),  # "module:callable", a key service
        "AUDIT_SEAL_KEY": env.get("AUDIT_SEAL_KEY"),  # PEM or base64 of the 32-byte key
        "AUDIT_SEAL_KEY_FILE": env.get("AUDIT_SEAL_KEY_FILE") or str(instance / "audit-seal.key"),
        "AUDIT_SEALS_FILE": env.get("AUDIT_SEALS_FILE") or str(instance / "audit-seals.jsonl"),
        "AUDIT_SEAL_INTERVAL": int(env.get("AUDIT_SEAL_INTERVAL_SECONDS", "3600")),
        # flask-smorest / OpenAPI
        "API_TITLE": "paindiary",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        # Swagger UI at /api/docs, its assets served by us (diary/api/docs.py), no CDN
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
        "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},  # no call to swagger.io
    }
    config.update(overrides)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = _secret_key(instance)
    return config
