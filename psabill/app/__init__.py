"""The use cases: the only layer that joins the pure core and the adapters."""
