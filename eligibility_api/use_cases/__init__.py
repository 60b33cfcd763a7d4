"""Use cases of eligibility_api: one transaction each, or a step inside a consumer's one."""
