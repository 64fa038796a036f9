"""Frameworks → assessments → results; controls; evidence; findings; scores."""
