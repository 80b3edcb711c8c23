"""The action template: the versioned JSON model (`model`) and the library checks (`checks`: joint limits,
ground contact, near-duplicate classes)."""
