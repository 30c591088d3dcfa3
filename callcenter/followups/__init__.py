"""Follow-ups: callbacks, revisits (回访), satisfaction surveys and service recovery."""
