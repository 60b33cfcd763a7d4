"""Database plumbing shared by the services: engine, unit of work, outbox, inbox, leases."""
