"""SLA clocks in business time, warnings and escalation."""
