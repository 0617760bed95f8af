class WarehouseError(Exception):
    """A user-facing warehouse problem (bad URI, missing path, invalid SQL): one line, exit 2."""
