"""opscheck: audit coverage, event delivery, resilience and sizing checks for ML platforms on AWS."""

__version__ = "0.1.0"
# Where users find the docs; SARIF viewers link the tool name to it.
HOMEPAGE = "https://github.com/opscheck/opscheck"
