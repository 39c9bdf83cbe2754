"""Single-AZ resilience (family `resilience`): AZ001-AZ008."""
