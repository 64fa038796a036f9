"""Typer command groups, one module per group; they call module APIs only."""
