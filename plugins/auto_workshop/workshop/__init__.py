"""Part of the plugin (see the package docstring); its models are shared with the other part."""

from portal.plugin_api import hookimpl


@hookimpl
def portal_load_models():
    from . import models  # noqa: F401
