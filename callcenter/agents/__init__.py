"""Agents as the desk sees them: skills, capacity, presence and load."""
