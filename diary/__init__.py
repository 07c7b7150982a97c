"""The clinical record: protocols, the schedule, participants, diary entries, audit trail."""
