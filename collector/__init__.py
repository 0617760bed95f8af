"""Collector: job specs, model backends, Ray orchestration and the CLI (the composition root).

The package root imports nothing, so `codeharvest score` and the other subcommands that never
run a job do not load Ray, the SDKs and the warehouse at start-up. Where things live:
``collector._spec`` (``load_job``, ``JobSpec``), ``collector._run`` (``collect``),
``collector.backends`` (``BACKENDS``, ``register``), ``collector.cli`` (the command line).
"""
