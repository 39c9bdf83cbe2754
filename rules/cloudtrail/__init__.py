"""CloudTrail coverage (family `cloudtrail`): CT001-CT008."""
