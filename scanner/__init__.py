"""opscheck: audit coverage, event delivery, resilience and sizing checks for ML platforms on AWS."""

__version__ = "0.1.0"
