"""Tickets: models, lifecycle, services (the only code that commits), schemas, API."""
