"""Tests of the local stack launcher (`services/`)."""
