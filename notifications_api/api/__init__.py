"""HTTP layer: routers, request and response schemas, dependencies."""
