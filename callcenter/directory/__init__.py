"""Setting up the desk: staff, teams, skills and categories, and the log of who changed them."""
