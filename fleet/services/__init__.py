"""Every business rule, as plain functions. Services flush; the caller commits."""
