"""Test doubles for the outside world: a local fake of Twilio's Messages API.

Fixtures live in ``tests.fakes.fixtures``; import them into a conftest.py to use them.
"""
