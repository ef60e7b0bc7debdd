"""Built-in industry plugins. Each reaches the core only through ``portal.plugin_api``."""
