"""Adapters of eligibility_api: tables, repositories, unit of work, facts mapping."""
