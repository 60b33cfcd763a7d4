"""Pure-domain Rechtskreis rule engine: facts in, a dated and reasoned decision out."""
