"""`flask --app app simulate`: a whole trial played out by synthetic participants in a sandbox,
through the real API and scheduler on an injected clock (issue 21; README, "Simulating a
whole trial")."""
