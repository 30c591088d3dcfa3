"""Canned responses: ready-made replies agents insert into a ticket's reply, with placeholders."""
