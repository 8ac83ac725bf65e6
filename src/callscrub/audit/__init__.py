"""The audit trail: manifests that let a past scrub be replayed and verified."""
