"""spaCy components of the opnote pipeline, one factory per module."""
