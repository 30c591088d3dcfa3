"""Messages to customers, queued in the database and delivered by an RQ job."""
