"""Synthetic deliveries: the generator and the writers of each file format."""
