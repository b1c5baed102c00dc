"""``core.folders`` names the app's folders as ``platformdirs`` does, without importing it on
Linux (issue 16: ~0.3 MiB resident for three names)."""

import itertools
import sys

import platformdirs
import pytest

from convos_desktop.core import folders

HOMES = ("/home/agent", "/home/agent/", "relative/home", "", None)  # None: unset
XDG_VALUES = ("/srv/xdg", "relative/xdg", "", None)
VARIABLES = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME")


def set_environment(monkeypatch: pytest.MonkeyPatch, name: str, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv(name, raising=False)
    else:
        monkeypatch.setenv(name, value)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux rules")
@pytest.mark.parametrize(("home", "xdg"), list(itertools.product(HOMES, XDG_VALUES)))
def test_the_folders_are_platformdirs_own_on_linux(monkeypatch, home, xdg):
    set_environment(monkeypatch, "HOME", home)
    for variable in VARIABLES:
        set_environment(monkeypatch, variable, xdg)
    for app in ("convos-desktop", "Convos Desktop"):
        assert folders.user_data_dir(app) == platformdirs.user_data_dir(app)
        assert folders.user_config_dir(app) == platformdirs.user_config_dir(app)
        assert folders.user_log_dir(app, "Convos") == platformdirs.user_log_dir(app, "Convos")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux rules")
def test_each_xdg_variable_moves_its_own_folder_only(monkeypatch):
    monkeypatch.setenv("HOME", "/home/agent")
    for variable in VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", "/var/agent-state")
    assert folders.user_data_dir("convos-desktop") == "/home/agent/.local/share/convos-desktop"
    assert folders.user_config_dir("convos-desktop") == "/home/agent/.config/convos-desktop"
    assert folders.user_log_dir("Convos Desktop", "Convos") == "/var/agent-state/Convos Desktop/log"


def test_other_systems_ask_platformdirs(monkeypatch):
    monkeypatch.setattr(folders, "ON_LINUX", False)
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda app: f"data of {app}")
    monkeypatch.setattr(platformdirs, "user_config_dir", lambda app: f"config of {app}")
    monkeypatch.setattr(platformdirs, "user_log_dir", lambda app, author: f"log of {app}, {author}")
    assert folders.user_data_dir("a") == "data of a"
    assert folders.user_config_dir("a") == "config of a"
    assert folders.user_log_dir("a", "b") == "log of a, b"
