"""(placeholder: filled in by the feature that owns it)"""


def register(admin, category):
    """Add this feature's views to the admin under `category`."""
