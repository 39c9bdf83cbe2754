"""EventBridge target permissions (family `eventbridge`): EB001-EB011."""
