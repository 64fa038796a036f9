"""Settings, the register database and migrations, the audit trail, time and Taiwan identifiers."""
