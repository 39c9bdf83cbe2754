"""Monitoring (family `monitoring`): MON001-MON003."""
