"""Two-way SMS: the reply grammar, the texts we answer with, inbound handling and
delivery status callbacks."""
