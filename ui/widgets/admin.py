"""Who may delete and export feedback, see people's drawings, and switch the live model.

Nobody, unless an admin is configured, in one of two ways (see the README, "Put it online"):

- OpenID Connect through Streamlit's `st.login`: an `[auth]` section in
  `.streamlit/secrets.toml`, and `admins = ["you@example.org"]` there, the e-mail addresses
  that are admins once signed in.
- A password, for an app on one machine: `$DIGITS_ADMIN_PASSWORD`, else `admin_password` in
  `.streamlit/secrets.toml`, typed into the "Sign in as admin" form.

Visitors see the aggregate figures only, and messages without server paths.
"""

import hashlib
import hmac
import importlib.util
import os
import threading
import time
from collections import deque

import streamlit as st

from model import paths

SIGNED_IN = "admin_signed_in"  # session state: the digest of the password signed in with
WRONG_PASSWORD_PAUSE = 1.0  # seconds a wrong password waits, to slow down guessing
WRONG_PASSWORDS = 5  # wrong passwords from one address within GUESS_WINDOW s lock it out...
GUESS_WINDOW = 600.0
LOCKOUT = 300.0  # ...for this many seconds, in every session (a new tab starts none afresh)
# Where the README says how to configure an admin (a section title: tests/test_admin.py checks it).
HOW_TO_CONFIGURE = "the README, “Put it online”"


class Guesses:
    """Wrong admin passwords per client address, shared by every session of the server.

    Thread-safe: Streamlit runs each session's script in a thread of its own.
    """

    def __init__(self, limit=WRONG_PASSWORDS, window=GUESS_WINDOW, lockout=LOCKOUT, clock=None):
        self.limit, self.window, self.lockout = limit, window, lockout
        self.clock = clock or time.monotonic
        self._wrong = {}  # address -> deque of the times of its recent wrong passwords
        self._locked = {}  # address -> when its lockout ends
        self._lock = threading.Lock()

    def locked_for(self, address):
        """Seconds until `address` may try again (0 when it may now)."""
        with self._lock:
            left = self._locked.get(address, 0.0) - self.clock()
            if left <= 0:
                self._locked.pop(address, None)
            return max(0.0, left)

    def wrong(self, address):
        """Records a wrong password from `address`; locks it out at the limit."""
        now = self.clock()
        with self._lock:
            recent = self._wrong.setdefault(address, deque())
            recent.append(now)
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if len(recent) >= self.limit:
                self._locked[address] = now + self.lockout
                recent.clear()
            # Bounded: addresses with no wrong password within the window, and ended
            # lockouts, are forgotten.
            if len(self._wrong) + len(self._locked) > 10_000:
                for key in [
                    k
                    for k, times in self._wrong.items()
                    if not times or times[-1] <= now - self.window
                ]:
                    del self._wrong[key]
                for key in [k for k, end in self._locked.items() if end <= now]:
                    del self._locked[key]

    def right(self, address):
        with self._lock:
            self._wrong.pop(address, None)


@st.cache_resource
def _guesses():
    return Guesses()


def _address():
    """The visitor's address; "local" where Streamlit gives none (localhost, tests)."""
    try:
        address = st.context.ip_address
    except Exception:  # no script run context (bare mode)
        address = None
    return address if isinstance(address, str) and address else "local"


def _secret(name):
    try:
        return st.secrets.get(name)
    except FileNotFoundError:  # no secrets.toml at all
        return None


def _password():
    return os.environ.get(paths.ADMIN_PASSWORD_ENV) or _secret("admin_password") or None


def _digest(password):
    return hashlib.sha256(str(password).encode()).digest()


def _admin_emails():
    """The admins' e-mail addresses, when OIDC sign-in is configured; else ()."""
    admins = _secret("admins")
    if not _secret("auth") or not admins:
        return ()
    if isinstance(admins, str):
        admins = [admins]
    return tuple(str(address).strip().lower() for address in admins)


def is_admin_user(user, admins):
    """Whether a signed-in OIDC user (`st.user`, or a dict like it) is one of `admins`."""
    if not admins or not user.get("is_logged_in"):
        return False
    if user.get("email_verified") is False:
        return False
    return str(user.get("email") or "").strip().lower() in admins


def _oidc_available():
    """Whether `st.login` can work here: it needs Authlib."""
    return importlib.util.find_spec("authlib") is not None


def configured():
    """Whether any admin is configured (a password, or OIDC with a list of admins)."""
    return bool(_password() or _admin_emails())


def is_admin():
    """Whether this session belongs to an admin: signed in with the current password, or by
    OIDC as one of the admins."""
    password = _password()
    signed_in = st.session_state.get(SIGNED_IN)
    if password and signed_in and hmac.compare_digest(signed_in, _digest(password)):
        return True
    return is_admin_user(st.user, _admin_emails())


def _check_password(key):
    typed = st.session_state.get(f"{key}_password") or ""
    st.session_state[f"{key}_password"] = ""
    guesses, address = _guesses(), _address()
    if guesses.locked_for(address):
        st.session_state[f"{key}_refused"] = True
        return  # not even compared: a locked-out address learns nothing
    password = _password()
    if password and hmac.compare_digest(_digest(typed), _digest(password)):
        guesses.right(address)
        st.session_state[SIGNED_IN] = _digest(password)
        st.session_state.pop(f"{key}_refused", None)
        return
    guesses.wrong(address)
    time.sleep(WRONG_PASSWORD_PAUSE)
    st.session_state[f"{key}_refused"] = True


def _sign_out():
    st.session_state.pop(SIGNED_IN, None)
    if st.user.get("is_logged_in"):
        st.logout()


def sign_in_panel(key):
    """Signs an admin in or out; says when no admin is configured.

    Args:
        key: a widget key prefix of the page's own.

    Returns:
        Whether this session is an admin's.
    """
    if is_admin():
        st.caption("Signed in as admin.")
        st.button("Sign out", key=f"{key}_sign_out", on_click=_sign_out)
        return True
    if not configured():
        st.caption(
            "Deleting and exporting feedback, seeing people's drawings and switching the model "
            f"version are off: no admin is configured for this app (see {HOW_TO_CONFIGURE})."
        )
        return False
    if _admin_emails():
        if not _oidc_available():
            st.caption(
                f"Admin sign-in is not available on this server yet (see {HOW_TO_CONFIGURE})."
            )
        elif st.user.get("is_logged_in"):
            st.warning("You are signed in, but not as an admin.")
            st.button("Sign out", key=f"{key}_sign_out", on_click=_sign_out)
        else:
            st.button(
                "Sign in as admin",
                key=f"{key}_login",
                on_click=st.login,
                args=(_secret("admin_provider"),),
            )
    if _password():
        with st.form(f"{key}_form"):
            st.text_input("Admin password", type="password", key=f"{key}_password")
            st.form_submit_button("Sign in as admin", on_click=_check_password, args=(key,))
        locked = _guesses().locked_for(_address())
        if locked:
            st.error(
                f"Too many wrong admin passwords from this address: sign-in is locked for "
                f"{max(1, round(locked / 60))} min."
            )
        elif st.session_state.get(f"{key}_refused"):
            st.error("Wrong admin password.")
    return False


def show_problem(message, error=None, kind="error"):
    """Shows a problem: an admin also sees `error` (which may name server paths), a visitor
    only `message`."""
    details = f" {error}" if error is not None and is_admin() else ""
    getattr(st, kind)(f"{message}{details}")
