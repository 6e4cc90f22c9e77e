"""Tests of the reports package: PDFs and CSV rendered from hand-built dataclasses, read back."""
