"""Tickets: models, the state machine (lifecycle), changes (rows and audit, no commits), access, schemas, API."""
