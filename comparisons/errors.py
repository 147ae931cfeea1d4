"""The one exception type for mistakes a user can make (bad names, values, files).

The CLI turns it into a single `error: ...` line and exit status 2; anything else that
goes wrong inside is a bug and keeps its traceback.
"""


class UserError(Exception):
    """Something the user asked for is invalid; the message says what and what is valid."""
