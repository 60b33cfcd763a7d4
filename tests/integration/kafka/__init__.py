"""Tests of the local Apache Kafka cluster itself (make test-kafka)."""
