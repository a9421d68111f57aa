"""The owner's password hash and the wrong-password rate limit."""

from __future__ import annotations

import pytest

from ui.auth import BadPasswordHash, SignInLimiter, hash_password, verify_password


def test_a_hash_verifies_its_password_and_nothing_else():
    stored = hash_password("s3cret-owner", iterations=2000)
    assert stored.startswith("pbkdf2_sha256$2000$")
    assert verify_password("s3cret-owner", stored)
    assert not verify_password("s3cret-owneR", stored)
    assert not verify_password("", stored)


def test_two_hashes_of_one_password_differ_by_their_salt():
    a, b = hash_password("same password", iterations=1000), hash_password("same password", iterations=1000)
    assert a != b and verify_password("same password", a) and verify_password("same password", b)


def test_a_short_password_is_refused_with_the_minimum_named():
    with pytest.raises(Exception, match="at least 8"):
        hash_password("short")


@pytest.mark.parametrize("stored", ["", "plaintext", "md5$1$x$y", "pbkdf2_sha256$many$x$y"])
def test_a_malformed_hash_says_how_to_make_one(stored):
    with pytest.raises(BadPasswordHash, match="python -m ui.auth"):
        verify_password("whatever1", stored)


def test_wrong_passwords_lock_sign_in_for_a_while_even_for_the_right_one(tmp_path):
    now = [1000.0]
    stored = hash_password("right password", iterations=1000)
    limiter = SignInLimiter(tmp_path / "f.json", max_failures=3, window_s=60, clock=lambda: now[0])
    lefts = [limiter.attempt("owner", "wrong", stored).failures_left for _ in range(3)]
    assert lefts == [2, 1, 0]
    locked = limiter.attempt("owner", "right password", stored)
    assert not locked.ok and locked.locked_for_s == pytest.approx(60)
    # A new limiter on the same file (a reloaded page, another tab) sees the same lock.
    again = SignInLimiter(tmp_path / "f.json", max_failures=3, window_s=60, clock=lambda: now[0])
    assert again.locked_for("owner") == pytest.approx(60)
    now[0] += 61
    assert again.attempt("owner", "right password", stored).ok
    assert again.locked_for("owner") == 0  # a success clears the count


def test_the_lock_is_per_user(tmp_path):
    stored = hash_password("right password", iterations=1000)
    limiter = SignInLimiter(tmp_path / "f.json", max_failures=1, window_s=60)
    limiter.attempt("mallory", "guess", stored)
    assert limiter.locked_for("mallory") > 0
    assert limiter.attempt("owner", "right password", stored).ok


def test_python_m_ui_auth_prints_a_hash_that_verifies(monkeypatch, capsys):
    from ui import auth

    monkeypatch.setenv("SOVEREIGN_NEW_PASSWORD", "a long enough password")
    # Fewer iterations than the default only to keep the test quick.
    monkeypatch.setattr(auth.hash_password, "__kwdefaults__", {"iterations": 1000, "salt": None})
    auth.main()
    printed = capsys.readouterr().out.strip()
    assert verify_password("a long enough password", printed)
