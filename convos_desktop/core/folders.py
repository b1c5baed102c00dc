"""The user's data, configuration and log folders of the app, as ``platformdirs`` names them.

On Linux the three names follow the XDG base directory rules that ``platformdirs`` applies
with its defaults (no version, no site folders for root, nothing created): an absolute
``$XDG_DATA_HOME`` / ``$XDG_CONFIG_HOME`` / ``$XDG_STATE_HOME``, else ``~/.local/share``,
``~/.config`` and ``~/.local/state``, with ``~`` from an absolute ``$HOME`` or else the
account's home in the password database. They are computed here so that the app does not
import ``platformdirs`` on Linux (~0.3 MiB of code and classes resident for three names; its
other folders, platforms and checks are never used). Other systems ask ``platformdirs``
itself (their folders come from the system's APIs). ``tests/desktop/core/test_folders.py``
holds the names to ``platformdirs``' over the environments that change them.
"""

from __future__ import annotations

import os
import posixpath
import sys

ON_LINUX = sys.platform.startswith("linux")


def user_data_dir(app: str) -> str:
    """``platformdirs.user_data_dir(app)``."""
    if not ON_LINUX:
        import platformdirs  # other systems only (see the module doc)

        return platformdirs.user_data_dir(app)
    return posixpath.join(_xdg_home("XDG_DATA_HOME", "~/.local/share"), app)


def user_config_dir(app: str) -> str:
    """``platformdirs.user_config_dir(app)``."""
    if not ON_LINUX:
        import platformdirs  # other systems only (see the module doc)

        return platformdirs.user_config_dir(app)
    return posixpath.join(_xdg_home("XDG_CONFIG_HOME", "~/.config"), app)


def user_log_dir(app: str, author: str) -> str:
    """``platformdirs.user_log_dir(app, author)`` (``author`` is used on Windows only)."""
    if not ON_LINUX:
        import platformdirs  # other systems only (see the module doc)

        return platformdirs.user_log_dir(app, author)
    return posixpath.join(_xdg_home("XDG_STATE_HOME", "~/.local/state"), app, "log")


def _xdg_home(variable: str, default: str) -> str:
    """The folder ``variable`` names when it is an absolute path, else ``default`` (``~/...``)
    below the user's home."""
    path = os.environ.get(variable, "")
    return path if posixpath.isabs(path) else _expand_home(default)


def _expand_home(path: str) -> str:
    """``path``'s leading ``~`` as the home folder: ``$HOME`` when it is absolute; when it is
    set but relative (or empty), the account's home from the password database; when it is
    unset, ``os.path.expanduser``'s (the same database). ``RuntimeError`` when no absolute
    home can be found, as ``platformdirs`` raises."""
    home = os.environ.get("HOME")
    if home is not None and not posixpath.isabs(home):
        expanded = path
        try:
            import pwd  # only for a relative $HOME

            account_home = pwd.getpwuid(os.getuid()).pw_dir
            expanded = account_home.rstrip("/") + path[1:] or "/"
        except KeyError:
            pass
    else:
        expanded = os.path.expanduser(path)
    if not posixpath.isabs(expanded):
        raise RuntimeError(
            f"could not determine the home directory for {path!r},"
            " set an absolute HOME or XDG variable"
        )
    return expanded
