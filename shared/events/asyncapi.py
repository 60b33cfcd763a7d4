"""AsyncAPI 3.0 documents generated from the event registry.

Each service describes what it produces and consumes: the channels are the Kafka topics
and their dead-letter topics, each message is a structured-mode CloudEvent whose payload
schema comes from the pydantic model, and the Kafka key is the case id. The document is
self-contained (every `$ref` points into it), so it reads offline.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic.json_schema import models_json_schema

from shared.events.base import EventData
from shared.events.envelope import CLOUDEVENTS_CONTENT_TYPE, Envelope
from shared.events.registry import CONSUMED_BY, PRODUCED_BY, dlq_topic

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
SCHEMA_REF = "#/components/schemas/{model}"

# Headers the consumer adds when it dead-letters a record (shared/messaging/consumer.py).
DLQ_HEADERS: dict[str, str] = {
    "dlq-original-topic": "The topic the record was consumed from",
    "dlq-original-partition": "Its partition",
    "dlq-original-offset": "Its offset",
    "dlq-consumer-group": "The consumer group that gave up on it",
    "dlq-attempts": "How many times it was tried",
    "dlq-error-type": "The exception type of the last attempt",
    "dlq-error-message": "The exception type (with SQLSTATE) and, for invalid data, the failing "
    "fields and error kinds, never a message or input (at most 500 characters)",
}


def _name(model: type[EventData]) -> str:
    return model.__name__


def _channel_id(topic: str) -> str:
    head, *rest = topic.replace(".", "_").split("_")
    return head + "".join(part.capitalize() for part in rest)


def _schemas(models: Iterable[type[EventData]]) -> tuple[dict[str, str], dict[str, Any]]:
    """The envelope schema name of each model and every schema they need."""
    envelopes: dict[str, Any] = {_name(m): Envelope[m] for m in models}  # type: ignore[valid-type]
    refs, document = models_json_schema(
        [(envelope, "serialization") for envelope in envelopes.values()],
        ref_template=SCHEMA_REF,
    )
    names = {
        name: refs[(envelope, "serialization")]["$ref"].rsplit("/", 1)[1]
        for name, envelope in envelopes.items()
    }
    schemas: dict[str, Any] = document.get("$defs", {})
    return names, schemas


def _message(model: type[EventData], envelope_schema: str) -> dict[str, Any]:
    return {
        "name": _name(model),
        "title": model.TYPE,
        "summary": (model.__doc__ or "").strip().splitlines()[0],
        "contentType": CLOUDEVENTS_CONTENT_TYPE,
        "headers": {
            "type": "object",
            "properties": {
                "content-type": {
                    "type": "string",
                    "const": CLOUDEVENTS_CONTENT_TYPE,
                    "description": "Structured-mode CloudEvent",
                },
                "traceparent": {
                    "type": "string",
                    "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
                    "description": "W3C trace context of the publishing span, when the event "
                    "was staged inside a trace: consumers continue the trace from it",
                },
            },
        },
        "payload": {"$ref": SCHEMA_REF.format(model=envelope_schema)},
        "correlationId": {
            "description": "The request that started the flow",
            "location": "$message.payload#/correlationid",
        },
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "format": "uuid",
                    "description": "The case id (CloudEvents subject): a case's events stay "
                    "in order on one partition",
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _dlq_message(model: type[EventData], envelope_schema: str) -> dict[str, Any]:
    message = _message(model, envelope_schema)
    properties = message["headers"]["properties"]
    for header, description in DLQ_HEADERS.items():
        properties[header] = {"type": "string", "description": description}
    message["name"] = f"{_name(model)}DeadLetter"
    message["summary"] = f"A {model.TYPE} event that could not be processed"
    return message


def asyncapi_document(
    service: str,
    *,
    produces: Iterable[type[EventData]],
    consumes: Iterable[type[EventData]],
    version: str = "1.0.0",
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of what `service` sends and receives."""
    sent = sorted(set(produces), key=lambda m: m.TOPIC)
    received = sorted(set(consumes), key=lambda m: m.TOPIC)
    used = sorted(set(sent) | set(received), key=lambda m: m.TOPIC)
    envelope_names, schemas = _schemas(used)
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for model in used:
        name = _name(model)
        envelope_schema = envelope_names[name]
        messages[name] = _message(model, envelope_schema)
        messages[f"{name}DeadLetter"] = _dlq_message(model, envelope_schema)
        channel = _channel_id(model.TOPIC)
        dlq = dlq_topic(model.TOPIC)
        channels[channel] = {
            "address": model.TOPIC,
            "title": model.TOPIC,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "bindings": {"kafka": {"topic": model.TOPIC, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
        channels[f"{channel}Dlq"] = {
            "address": dlq,
            "title": dlq,
            "description": f"Dead letters of {model.TOPIC}: records a consumer gave up on",
            "messages": {f"{name}DeadLetter": {"$ref": f"#/components/messages/{name}DeadLetter"}},
            "bindings": {"kafka": {"topic": dlq, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
    for action, models in (("send", sent), ("receive", received)):
        for model in models:
            name = _name(model)
            channel = _channel_id(model.TOPIC)
            operations[f"{action}{name}"] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{channel}"},
                "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"}],
            }
            if action == "receive":
                operations[f"deadLetter{name}"] = {
                    "action": "send",
                    "summary": f"A {model.TYPE} event {service} could not process",
                    "channel": {"$ref": f"#/channels/{channel}Dlq"},
                    "messages": [{"$ref": f"#/channels/{channel}Dlq/messages/{name}DeadLetter"}],
                }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": f"Handover broker: {service} events",
            "version": version,
            "description": (
                "CloudEvents 1.0 in structured mode on Apache Kafka. The record key is the "
                "case id; every consumer is at-least-once and deduplicates by the event id."
            ),
        },
        "defaultContentType": CLOUDEVENTS_CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": "localhost:9092",
                "protocol": "kafka",
                "description": "The deployment's bootstrap servers "
                "(<PREFIX>_KAFKA__BOOTSTRAP_SERVERS)",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def service_asyncapi(service: str) -> dict[str, Any]:
    """The document of one of the three services, from the registry's flows."""
    return asyncapi_document(
        service, produces=PRODUCED_BY.get(service, ()), consumes=CONSUMED_BY.get(service, ())
    )


__all__ = ["asyncapi_document", "service_asyncapi"]
