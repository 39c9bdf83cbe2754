"""CloudTrail data events (family `data-events`): DE001-DE005."""
