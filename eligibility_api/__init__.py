"""eligibility_api package."""
