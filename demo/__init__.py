"""The demo: a Korean district office's staff directory in a local slapd."""
