"""The agents' pages: ticket list, ticket detail with actions, logging a phone call."""
