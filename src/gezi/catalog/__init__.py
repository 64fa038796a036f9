"""Catalogs as versioned YAML data: frameworks, code lists, cross-framework mappings."""
