"""Pieces of the pure reminder planner; the public entry point is ``notifications.planner``.

``model`` (the plain data in and out), ``timing`` (wall-clock, deadlines, quiet hours),
``rules`` (one function per kind of reminder) and ``messages`` (SMS texts, GSM-7).
No Flask, SQLAlchemy, Twilio or APScheduler anywhere below this folder.
"""
