"""User-facing errors: the CLI prints them as one line and exits with code 2."""


class GeziError(Exception):
    """An error caused by the user's input or environment, shown without a traceback."""

    exit_code = 2
