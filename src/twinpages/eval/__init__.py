"""Evaluation metrics and their data loaders; `twinpages eval ...` wraps these."""
