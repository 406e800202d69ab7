"""The one error type the user sees: a single line, then exit status 2."""


class UserError(Exception):
    """Bad input or an unusable device: printed as one line, exit status 2."""

    exit_code = 2
