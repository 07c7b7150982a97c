"""Persistence: SQLAlchemy 2 models, column types and engine set-up (SQLite or PostgreSQL)."""
