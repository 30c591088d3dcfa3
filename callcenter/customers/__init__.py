"""Customers: one record per person, with a tier and a ticket history."""
