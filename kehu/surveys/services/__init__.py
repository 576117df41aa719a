"""Writes of the survey app, one module per part of the workflow:

- ``definitions``: surveys, indicator trees, weights (manual, AHP, entropy),
  questions, constructs and paths; YAML/JSON load and export; templates.
- ``distribution``: waves, sampling, invitations, reminders, responses
  (answer page, phone entry, imports).
- ``loop``: what a response sets off (attitude, follow-up tasks) and
  improvement actions; benchmarks.
"""
