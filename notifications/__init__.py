"""Reminders and SMS: a pure planner, a durable outbox, the Twilio sender, the scheduler.

Empty until the reminders issue lands; reads ``diary``, never the other way round.
"""
