"""HTTP layer of eligibility_api: dependencies, DTOs and routers."""
