"""Profiles file and profile validation (login/logout against the server: tests/e2e)."""

import pytest

from convos_desktop.core.session import Profile, ProfileError, ProfileList, validate_profile


def test_profiles_are_added_replaced_and_removed(tmp_path):
    profiles = ProfileList(tmp_path / "profiles.json")
    assert profiles.load() == []
    work = Profile("Lavoro", "https://convos.example.com/", "anna@example.com")
    profiles.add(work)
    profiles.add(Profile("Lavoro 2", "https://convos.example.com", "anna@example.com"))
    loaded = profiles.load()
    assert [(p.name, p.server_url) for p in loaded] == [("Lavoro 2", "https://convos.example.com")]
    assert "token" not in (tmp_path / "profiles.json").read_text()
    profiles.remove(loaded[0])
    assert profiles.load() == []


def test_an_unreadable_profile_file_is_treated_as_empty(tmp_path):
    path = tmp_path / "profiles.json"
    path.write_text("{not json")
    assert ProfileList(path).load() == []


@pytest.mark.parametrize(
    ("url", "email"),
    [("convos.example.com", "a@b.c"), ("https://", "a@b.c"), ("https://x.example", "anna")],
)
def test_bad_profiles_get_a_clear_error(url, email):
    with pytest.raises(ProfileError):
        validate_profile(Profile("x", url, email))
