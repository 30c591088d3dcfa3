"""Routing engine: the right ticket to the right agent."""
