"""The customer side: the complaint / request form and the private status page."""
