"""KPI formulas, queries and the wallboard."""
