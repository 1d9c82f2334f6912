"""vpce-guard: finds and fixes misconfigured AWS VPC endpoints."""

__version__ = "0.1.0"
