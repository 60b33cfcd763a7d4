"""Pure handover domain: lifecycle, required documents, manifest; no framework imports."""
