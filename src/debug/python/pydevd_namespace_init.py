# One portion of a namespace package shared with debugpy's own pydevd_plugins (copied by
# scripts/build-pythonpath.mjs as both pydevd_plugins/__init__.py and pydevd_plugins/extensions/__init__.py).
# Whichever portion Python imports first, __path__ must list every portion on sys.path, so pydevd finds
# its own plugins and ours. debugpy's portions use pkg_resources when it is there, else pkgutil; so do we.
import warnings

with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    try:
        __import__('pkg_resources').declare_namespace(__name__)
    except ImportError:
        import pkgutil
        __path__ = pkgutil.extend_path(__path__, __name__)
