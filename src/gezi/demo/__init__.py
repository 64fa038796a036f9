"""The demo organization used by `gezi demo` (a fictional e-commerce company)."""
