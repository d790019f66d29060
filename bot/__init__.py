"""Wiring: configuration, app assembly, CLI, scheduler, channels."""
