"""Alembic history of eligibility_api."""
