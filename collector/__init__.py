"""Collector: job specs, model backends, Ray orchestration and the CLI (the composition root)."""
