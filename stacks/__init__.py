"""What each stack composes: `shared` (registry, DevOps, agents pool) and the environment stacks."""
