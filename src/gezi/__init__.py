"""gezi (個資): run and prove a Taiwanese personal-data protection and security programme."""

__version__ = "0.1.0"
