"""Learned components: features, training, skops persistence."""
