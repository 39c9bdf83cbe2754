"""Renderers: they read a scan outcome or a results document and never recompute verdicts."""
