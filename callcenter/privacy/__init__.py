"""Personal data: export everything held about a customer, erase them, and retention."""
