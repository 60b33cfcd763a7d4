"""The HTTP ceiling: a FastAPI hello app served as the services are (`python -m tests.bench.hello`).

It goes through `shared.cli.service_main`, so uvicorn gets exactly the services' server
settings (event loop, HTTP parser, logging, shutdown) whatever they are when the benchmark runs.
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from shared.cli import service_main
from shared.settings import ServiceSettings


class HelloSettings(ServiceSettings):
    """Environment: BENCH_HELLO_PORT, BENCH_HELLO_HOST."""

    model_config = SettingsConfigDict(env_prefix="BENCH_HELLO_")

    SERVICE_NAME: str = "bench_hello"
    LOG_LEVEL: str = "WARNING"


def create_hello_app(settings: ServiceSettings, mode: str = "serve") -> FastAPI:
    """One route answering a small JSON object; the same app in every mode."""
    app = FastAPI(title="hello", openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        """Hello."""
        return {"message": "hello"}

    return app


if __name__ == "__main__":
    service_main("tests.bench.hello", HelloSettings, create_hello_app)
