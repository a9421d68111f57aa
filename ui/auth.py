"""The owner's password: hashing, checking, and a rate limit on wrong guesses.

Hash format (the value of `SOVEREIGN_OWNER__PASSWORD_HASH`):

    pbkdf2_sha256$<iterations>$<salt, urlsafe base64>$<derived key, urlsafe base64>

Make one with `python -m ui.auth` (asks for the password, prints the hash).

The rate limit is kept in a JSON file in the data home, not in the browser session, so reloading
the page or opening a new tab does not reset it. It counts wrong passwords per user name: after
`max_failures` inside `window_s`, sign-in is refused until the oldest of them leaves the window.
"""

from __future__ import annotations

import base64
import fcntl
import getpass
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kernel.errors import BadInput

SCHEME = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 600_000  # OWASP's 2023 figure for PBKDF2-HMAC-SHA256
MIN_PASSWORD_CHARS = 8


class BadPasswordHash(BadInput):
    """The configured hash is not in the format above; the owner cannot sign in until it is."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None) -> str:
    """A new hash of `password` with a random 16-byte salt (or `salt`), in the format above."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise BadInput(f"the password has {len(password)} characters; use at least {MIN_PASSWORD_CHARS}")
    if iterations < 1:
        raise BadInput(f"iterations {iterations} must be at least 1")
    salt = salt if salt is not None else secrets.token_bytes(16)
    key = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{SCHEME}${iterations}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches `stored`; BadPasswordHash when `stored` is malformed."""
    parts = (stored or "").strip().split("$")
    if len(parts) != 4 or parts[0] != SCHEME or not parts[1].isdigit():
        raise BadPasswordHash(
            f"the owner's password hash {stored[:24]!r}… is not '{SCHEME}$<iterations>$<salt>$<key>'; "
            "make one with `python -m ui.auth` and set SOVEREIGN_OWNER__PASSWORD_HASH"
        )
    try:
        salt, expected = _unb64(parts[2]), _unb64(parts[3])
    except ValueError as exc:
        raise BadPasswordHash(f"the owner's password hash has bad base64: {exc}") from exc
    key = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, int(parts[1]))
    return hmac.compare_digest(key, expected)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    locked_for_s: float = 0.0  # > 0: refused without checking, try again after this long
    failures_left: int = 0  # wrong guesses allowed before the lock


class SignInLimiter:
    """Wrong-password bookkeeping in `path` (JSON: user -> failure times), shared by all sessions."""

    def __init__(
        self, path: Path, *, max_failures: int = 5, window_s: float = 300.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = Path(path)
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock

    @contextmanager
    def _locked(self):
        """The failure table, read and written under an exclusive file lock."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                table = json.loads(self.path.read_text()) if self.path.is_file() else {}
            except ValueError:
                table = {}  # a torn file: start over rather than lock the owner out forever
            yield table
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(table))
            os.replace(tmp, self.path)

    def _recent(self, table: dict, user: str) -> list[float]:
        now = self.clock()
        return [t for t in table.get(user, []) if now - t < self.window_s]

    def locked_for(self, user: str) -> float:
        """Seconds until `user` may try again (0 when allowed now)."""
        with self._locked() as table:
            recent = self._recent(table, user)
            table[user] = recent
        if len(recent) < self.max_failures:
            return 0.0
        return max(0.0, sorted(recent)[-self.max_failures] + self.window_s - self.clock())

    def attempt(self, user: str, password: str, stored_hash: str) -> Verdict:
        """Check a sign-in: refused unchecked while locked; a failure is recorded, a success clears."""
        with self._locked() as table:
            recent = self._recent(table, user)
            if len(recent) >= self.max_failures:
                table[user] = recent
                wait = sorted(recent)[-self.max_failures] + self.window_s - self.clock()
                return Verdict(ok=False, locked_for_s=max(wait, 0.0))
            if verify_password(password, stored_hash):
                table.pop(user, None)
                return Verdict(ok=True, failures_left=self.max_failures)
            recent.append(self.clock())
            table[user] = recent
            left = self.max_failures - len(recent)
            wait = 0.0 if left > 0 else self.window_s
            return Verdict(ok=False, locked_for_s=wait, failures_left=max(left, 0))


def main() -> None:
    """Print a hash for a password typed at the prompt (or given in SOVEREIGN_NEW_PASSWORD)."""
    password = os.environ.get("SOVEREIGN_NEW_PASSWORD") or getpass.getpass("owner password: ")
    if "SOVEREIGN_NEW_PASSWORD" not in os.environ and getpass.getpass("again: ") != password:
        raise SystemExit("the two passwords differ; nothing printed")
    try:
        print(hash_password(password))
    except BadInput as exc:
        raise SystemExit(f"error: {exc}")


if __name__ == "__main__":
    main()
