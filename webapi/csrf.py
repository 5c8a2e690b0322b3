"""CSRF protection for whatever changes state on the UI's session cookie.

The session holds a random token; a state-changing request on the session must carry it
(a UI form in the field `csrf_token`, a page's script in the `X-CSRF-Token` header) and,
when the browser names its Origin, come from this site. The UI's forms (webapi/ui/session.py)
and the API called on the session (webapi/auth.py) ask the same question here and only answer
differently: a page, or a JSON 403.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import request, session

# Where the session cookie keeps the token.
SESSION_CSRF = "csrf"
HEADER = "X-CSRF-Token"

MISSING_TOKEN = "Geweigerd: het CSRF-token ontbreekt of hoort niet bij deze sessie. Laad de pagina opnieuw."
OTHER_SITE = "Geweigerd: deze aanvraag komt niet van deze site."


def new_token() -> str:
    """A fresh token for a fresh session (logging in)."""
    token = session[SESSION_CSRF] = secrets.token_urlsafe(32)
    return token


def token() -> str:
    """The session's token, made on first use (the login page needs one before there is a user)."""
    return session.get(SESSION_CSRF) or new_token()


def refusal(given: str | None) -> str | None:
    """Why this request may not change anything on the session, in Dutch; None when it may.

    Compared as bytes: `hmac.compare_digest` refuses str with non-ASCII characters, and a
    header or form field can hold anything. `Origin: null` (a sandboxed frame, a file:// page,
    some redirects) is not this site either.
    """
    expected = session.get(SESSION_CSRF) or ""
    if not expected or not hmac.compare_digest(expected.encode(), (given or "").encode("utf-8", "replace")):
        return MISSING_TOKEN
    origin = request.headers.get("Origin")
    if origin is not None and (origin == "null" or urlsplit(origin).netloc != request.host):
        return OTHER_SITE
    return None
