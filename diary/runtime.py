"""What the app wires together once at start-up and hands to every request and command."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from diary.clock import Clock
from diary.security import PhoneVault


@dataclass
class Runtime:
    config: dict[str, Any]
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    hasher: PasswordHasher
    vault: PhoneVault
    # diary.exports.job_runner.ExportJobRunner: background export jobs (issue 15)
    export_jobs: Any = None
