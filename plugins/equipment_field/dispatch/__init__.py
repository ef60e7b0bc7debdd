"""Part of the plugin (see the package docstring)."""
