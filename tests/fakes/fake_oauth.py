#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A strict fake OAuth2 token endpoint and a tiny protected API, for tests.

Standard library only.  Listens on 127.0.0.1 (never anything else), writes
its PID and, once listening, its port to the files given by flags.

    fake_oauth.py --clients FILE --port-file FILE --pid-file FILE
                  [--port N] [--expires-in SEC] [--fail-first N]
                  [--fail-status CODE] [--retry-after VALUE] [--delay SEC]
                  [--response MODE] [--log FILE]
                  [--tls-cert PEM --tls-key PEM] [--keep-running]

It exits on SIGTERM or SIGINT, and by itself when its parent process goes
away (unless --keep-running), so a killed test leaves no server behind.

Secrets never come from argv: the clients table is a JSON file (the test
writes it with umask 077):

    {"clients": [
      {"client_id": "ct-shop", "client_secret": "…",
       "scopes": ["view_products:demo", "manage_orders:demo"],
       "auth": "basic-raw",          # basic | basic-raw | post | json | any
       "style": "commercetools",     # rfc | commercetools | commercetools-errors-only
       "token_type": "Bearer",       # e.g. "bearer" like Commerce Layer
       "expires_in": 3600,           # else --expires-in
       "require_scope": false,       # a request without scope is invalid_request
       "echo_scope": true}           # "scope" in the token response
    ]}

auth: "basic" is RFC 6749 section 2.3.1 (id and secret form-urlencoded, then
HTTP Basic), "basic-raw" is Basic over the raw values (commercetools),
"post" is client_id/client_secret in the form body, "json" in a JSON body
(Commerce Layer).  Using another method than the client's is invalid_client.

Endpoints:
  POST /oauth/token, POST /token   client_credentials grant
  GET  /_stats                     counters (JSON), no secrets
  POST /_control                   JSON {fail_first, fail_status, retry_after,
                                   delay, response, expires_in}: change faults
  POST /_reset                     zero counters, forget tokens, restore the
                                   faults given on the command line
  GET  /{projectKey}/products      needs a Bearer token issued here with
                                   view_products, manage_products or
                                   manage_project for that project
  GET  /_introspect                needs a Bearer token: {active, client_id,
                                   scope, exp}
  POST   /{projectKey}/api-clients       commercetools API Clients API, needs
  GET    /{projectKey}/api-clients       manage_api_clients:{projectKey} (GET:
  GET    /{projectKey}/api-clients/{id}  or view_api_clients); new clients can
  DELETE /{projectKey}/api-clients/{id}  mint at once (see below)

Faults apply to token requests only.  --response modes: normal, malformed
(truncated JSON), oversized-token (a 9000-byte token), huge (a 1 MiB body),
no-expires, string-expires ("3600"), zero-expires, html, redirect (302 to a
non-loopback https URL), no-token, control-chars (token with a newline).

API Clients, as https://docs.commercetools.com/api/projects/api-clients:
create takes an APIClientDraft {"name", "scope", ...} and answers 201 with
the APIClient and its "secret" (shown this once); names are unique per
project (400 DuplicateField); every scope must name the project
("perm:{projectKey}" or "perm:{projectKey}:{storeKey}").  The query takes
limit (0..500, default 20), offset (0..10000), withTotal, and a where
predicate of the form name = "..." (anything else is 400 InvalidInput),
and lists clients in creation order.  Delete answers 200 with the client,
or 404 ResourceNotFound.  Their faults are separate from the token
endpoint's, set through /_control only:
  api_fail_first N     fail the first N API Clients requests (-1: all) ...
  api_fail_status S    ... with status S (default 503) ...
  api_fail_methods M   ... of methods M ("*", or e.g. "POST" or "GET,DELETE")
  api_delay SEC        answer API Clients requests SEC seconds late
  api_where false      refuse every where predicate (400 InvalidInput)
  api_response MODE    answer create with: normal, malformed (truncated
                       JSON), huge (a 1 MiB body), no-secret, fewer-scopes
                       (grant only the first scope), renamed (another
                       name), html, status-200 (200 instead of 201); the
                       client is created in every mode but html; race:
                       another client of that name appears just before
                       (so 400 DuplicateField), then back to normal
"""

import argparse
import base64
import hmac
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY_MAX = 1 << 20
TOKEN_PATHS = ("/oauth/token", "/token")
AUTH_METHODS = ("basic", "basic-raw", "post", "json", "any")
STYLES = ("rfc", "commercetools", "commercetools-errors-only")
RESPONSES = ("normal", "malformed", "oversized-token", "huge", "no-expires",
             "string-expires", "zero-expires", "html", "redirect", "no-token",
             "control-chars")
API_RESPONSES = ("normal", "malformed", "huge", "no-secret", "fewer-scopes",
                 "renamed", "html", "status-200", "race")
API_QUERY_LIMIT_MAX = 500
API_QUERY_OFFSET_MAX = 10000
WHERE_NAME = re.compile(r'^\s*name\s*=\s*"((?:[^"\\]|\\.)*)"\s*$')


class OAuthError(Exception):
    """An RFC 6749 section 5.2 error answer."""

    def __init__(self, status, code, description, headers=None):
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.headers = headers or {}


class Client:
    def __init__(self, d, default_expires):
        self.client_id = str(d["client_id"])
        self.client_secret = str(d["client_secret"])
        self.scopes = [str(s) for s in d.get("scopes", [])]
        self.auth = d.get("auth", "basic")
        self.style = d.get("style", "rfc")
        self.token_type = d.get("token_type", "Bearer")
        self.expires_in = int(d.get("expires_in", default_expires))
        self.require_scope = bool(d.get("require_scope", False))
        self.echo_scope = bool(d.get("echo_scope", True))
        self.name = d.get("name", self.client_id)
        self.created_at = d.get("createdAt", "2024-01-01T00:00:00.000Z")
        if self.auth not in AUTH_METHODS:
            raise ValueError("client %s: bad auth %r" % (self.client_id, self.auth))
        if self.style not in STYLES:
            raise ValueError("client %s: bad style %r" % (self.client_id, self.style))

    def public(self):
        return {"client_id": self.client_id, "scopes": self.scopes,
                "auth": self.auth, "style": self.style, "name": self.name}


class State:
    """Everything the handlers share, under one lock."""

    def __init__(self, args, clients):
        self.lock = threading.Lock()
        self.args = args
        self.clients = {c.client_id: c for c in clients}
        self.initial_faults = {
            "fail_first": args.fail_first, "fail_status": args.fail_status,
            "retry_after": args.retry_after, "delay": args.delay,
            "response": args.response, "expires_in": None,
            "api_fail_first": 0, "api_fail_status": 503,
            "api_fail_methods": "*", "api_delay": 0, "api_where": True,
            "api_response": "normal",
        }
        self.reset()

    def reset(self):
        # Requests still in flight (a delayed one, say) belong to the old
        # epoch and must not touch the new counters.
        self.epoch = getattr(self, "epoch", 0) + 1
        self.faults = dict(self.initial_faults)
        self.failed = 0
        self.api_failed = 0
        self.tokens = {}
        self.stats = {
            "token_requests": 0, "tokens_issued": 0, "token_errors": 0,
            "faults_injected": 0, "api_requests": 0, "api_denied": 0,
            "by_client": {}, "auth_methods": {}, "last_auth_method": None,
            "last_scope": None, "last_grant_type": None,
            "api_clients_created": 0, "api_clients_deleted": 0,
            "api_clients_queries": 0, "api_faults_injected": 0,
        }


def scope_list(s):
    return [t for t in (s or "").split(" ") if t]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-oauth/1"
    sys_version = ""

    # -- plumbing ---------------------------------------------------------

    @property
    def st(self):
        return self.server.state

    def log_request(self, code="-", size="-"):
        # Method, path without its query, and status only: never headers,
        # queries or bodies, which may carry secrets and tokens.
        self.log_message("%s %s %s", self.command, self.path_only(), code)

    def log_error(self, fmt, *args):
        # http.server puts the raw request line into these messages.
        self.log_message("%s", "malformed request")

    def log_message(self, fmt, *args):
        log = self.st.args.log
        if log:
            with open(log, "a", encoding="utf-8") as f:
                f.write("%s %s\n" % (self.log_date_time_string(), fmt % args))

    def read_body(self):
        n = self.headers.get("Content-Length")
        if n is None:
            if self.headers.get("Transfer-Encoding"):
                raise OAuthError(411, "invalid_request", "Content-Length required")
            return b""
        try:
            n = int(n)
        except ValueError:
            raise OAuthError(400, "invalid_request", "bad Content-Length")
        if n < 0 or n > BODY_MAX:
            self.close_connection = True
            raise OAuthError(413, "invalid_request", "request body too large")
        return self.rfile.read(n)

    def send(self, status, body, ctype="application/json", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Pragma", "no-cache")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_oauth_error(self, e, style):
        desc = e.description
        if style == "rfc":
            body = {"error": e.code, "error_description": desc}
        else:
            body = {"statusCode": e.status, "message": desc,
                    "errors": [{"code": e.code, "message": desc}]}
            if style == "commercetools":
                body["error"] = e.code
                body["error_description"] = desc
        self.send(e.status, body, headers=e.headers)

    def path_only(self):
        return urllib.parse.urlsplit(self.path).path

    # -- routing ----------------------------------------------------------

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def route(self, method):
        path = self.path_only()
        parts = [p for p in path.split("/") if p]
        try:
            self.body = self.read_body()
            if method == "POST" and path in TOKEN_PATHS:
                return self.token()
            if method == "GET" and path == "/_stats":
                with self.st.lock:
                    out = json.loads(json.dumps(self.st.stats))
                    out["faults"] = dict(self.st.faults)
                    out["clients"] = [c.public() for c in self.st.clients.values()]
                    out["tokens_live"] = len(self.st.tokens)
                return self.send(200, out)
            if method == "POST" and path == "/_control":
                return self.control()
            if method == "POST" and path == "/_reset":
                with self.st.lock:
                    self.st.reset()
                return self.send(200, {"ok": True})
            if method == "GET" and path == "/_introspect":
                tok = self.bearer(None, None)
                return self.send(200, {"active": True, "client_id": tok["client_id"],
                                       "scope": " ".join(tok["scope"]),
                                       "exp": int(tok["exp"])})
            if len(parts) == 2 and parts[1] == "products" and method == "GET":
                self.bearer(parts[0], ("view_products", "manage_products",
                                       "manage_project"))
                return self.send(200, {"limit": 20, "offset": 0, "count": 0,
                                       "total": 0, "results": []})
            if len(parts) >= 2 and parts[1] == "api-clients":
                return self.api_clients(method, parts)
            return self.send(404, {"statusCode": 404, "message": "not found",
                                   "errors": [{"code": "ResourceNotFound",
                                               "message": "not found"}]})
        except OAuthError as e:
            self.send_oauth_error(e, "commercetools")

    # -- control ----------------------------------------------------------

    def control(self):
        try:
            req = json.loads(self.body or b"{}")
        except ValueError:
            raise OAuthError(400, "invalid_request", "control body is not JSON")
        if not isinstance(req, dict):
            raise OAuthError(400, "invalid_request", "control body is not an object")
        with self.st.lock:
            for k, v in req.items():
                if k not in self.st.faults:
                    raise OAuthError(400, "invalid_request", "unknown control %s" % k)
                if k == "response" and v not in RESPONSES:
                    raise OAuthError(400, "invalid_request", "unknown response %s" % v)
                if k == "api_response" and v not in API_RESPONSES:
                    raise OAuthError(400, "invalid_request", "unknown api_response %s" % v)
                self.st.faults[k] = v
            if "fail_first" in req:
                self.st.failed = 0
            if "api_fail_first" in req:
                self.st.api_failed = 0
            out = dict(self.st.faults)
        self.send(200, out)

    # -- the token endpoint -----------------------------------------------

    def token(self):
        st = self.st
        with st.lock:
            epoch = st.epoch
            st.stats["token_requests"] += 1
            f = dict(st.faults)
            inject = f["fail_first"] < 0 or st.failed < f["fail_first"]
            if inject:
                st.failed += 1
                st.stats["faults_injected"] += 1
        body = self.body
        if f["delay"]:
            time.sleep(float(f["delay"]))
            with st.lock:
                stale = epoch != st.epoch
            if stale:
                self.close_connection = True
                return None
        if inject:
            headers = {}
            if f["retry_after"] is not None:
                headers["Retry-After"] = str(f["retry_after"])
            return self.send(int(f["fail_status"]),
                             {"error": "temporarily_unavailable",
                              "error_description": "injected failure"},
                             headers=headers)
        style = "rfc"
        try:
            client, method, params = self.authenticate(body)
            style = client.style
            granted = self.check_grant(client, params)
        except OAuthError as e:
            with st.lock:
                st.stats["token_errors"] += 1
            return self.send_oauth_error(e, style)
        return self.issue(client, method, granted, f)

    def authenticate(self, body):
        """Who is asking, how they authenticated, and the request params."""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype == "application/json":
            try:
                params = json.loads(body.decode("utf-8"))
            except ValueError:
                raise OAuthError(400, "invalid_request", "body is not valid JSON")
            if not isinstance(params, dict) or not all(
                    isinstance(v, str) for v in params.values()):
                raise OAuthError(400, "invalid_request", "body must be an object of strings")
        elif ctype == "application/x-www-form-urlencoded":
            try:
                pairs = urllib.parse.parse_qsl(body.decode("ascii"),
                                               keep_blank_values=True,
                                               strict_parsing=bool(body))
            except (ValueError, UnicodeDecodeError):
                raise OAuthError(400, "invalid_request", "malformed form body")
            params = {}
            for k, v in pairs:
                if k in params:  # RFC 6749 section 3.2
                    raise OAuthError(400, "invalid_request",
                                     "parameter %s repeated" % k)
                params[k] = v
        else:
            raise OAuthError(400, "invalid_request",
                             "unsupported Content-Type %r" % ctype)

        header = self.headers.get("Authorization")
        in_body = "client_id" in params or "client_secret" in params
        if header and in_body:
            raise OAuthError(400, "invalid_request",
                             "more than one client authentication method")
        if header:
            scheme, _, b64 = header.partition(" ")
            if scheme.lower() != "basic":
                raise OAuthError(401, "invalid_client", "unsupported authorization scheme",
                                 {"WWW-Authenticate": 'Basic realm="fake"'})
            try:
                raw = base64.b64decode(b64.strip(), validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                raise OAuthError(401, "invalid_client", "malformed Basic credentials",
                                 {"WWW-Authenticate": 'Basic realm="fake"'})
            cid, sep, secret = raw.partition(":")
            if not sep:
                raise OAuthError(401, "invalid_client", "malformed Basic credentials")
            candidates = [("basic-raw", cid, secret),
                          ("basic", urllib.parse.unquote_plus(cid),
                           urllib.parse.unquote_plus(secret))]
        elif in_body:
            method = "json" if ctype == "application/json" else "post"
            candidates = [(method, params.get("client_id", ""),
                           params.get("client_secret", ""))]
        else:
            raise OAuthError(401, "invalid_client", "no client authentication",
                             {"WWW-Authenticate": 'Basic realm="fake"'})

        method_ok = mismatch = None
        with self.st.lock:
            for method, cid, secret in candidates:
                client = self.st.clients.get(cid)
                if client is None:
                    continue
                if client.auth not in ("any", method):
                    mismatch = mismatch or client
                    continue
                method_ok = client
                if hmac.compare_digest(secret.encode(), client.client_secret.encode()):
                    self.record_auth(client, method)
                    return client, method, params
        if method_ok is None and mismatch is not None:
            raise OAuthError(401, "invalid_client",
                             "client authentication method %s is not allowed for "
                             "this client (expected %s)"
                             % (candidates[-1][0] if not header else "basic",
                                mismatch.auth))
        raise OAuthError(401, "invalid_client",
                         "Please provide valid client credentials using HTTP "
                         "Basic Authentication." if header else
                         "Client authentication failed.",
                         {"WWW-Authenticate": 'Basic realm="fake"'} if header else None)

    def record_auth(self, client, method):
        s = self.st.stats
        s["last_auth_method"] = method
        s["auth_methods"][method] = s["auth_methods"].get(method, 0) + 1

    def check_grant(self, client, params):
        grant = params.get("grant_type")
        with self.st.lock:
            self.st.stats["last_grant_type"] = grant
            self.st.stats["last_scope"] = params.get("scope")
        if grant is None:
            raise OAuthError(400, "invalid_request", "Missing required parameter: grant_type.")
        if grant != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type",
                             "Invalid parameter: grant_type: Invalid grant type: %s" % grant)
        requested = scope_list(params.get("scope"))
        if "scope" in params and not requested:
            raise OAuthError(400, "invalid_scope", "empty scope")
        if not requested:
            if client.require_scope:
                raise OAuthError(400, "invalid_request", "scope is required")
            return list(client.scopes)
        # commercetools: "An API Client using manage_project cannot request
        # a token with lesser scopes."
        if (client.style != "rfc" and
                any(s.startswith("manage_project:") for s in client.scopes) and
                set(requested) != set(client.scopes)):
            raise OAuthError(400, "invalid_scope",
                             "Scope narrowing is not allowed for a client with manage_project.")
        for s in requested:
            if s not in client.scopes:
                raise OAuthError(400, "invalid_scope",
                                 "Requested scope %r is not allowed for this client." % s)
        return requested

    def issue(self, client, method, granted, f):
        expires = f["expires_in"] if f["expires_in"] is not None else client.expires_in
        token = secrets.token_urlsafe(32)
        resp = {"access_token": token, "token_type": client.token_type,
                "expires_in": int(expires)}
        if client.echo_scope:
            resp["scope"] = " ".join(granted)
        mode = f["response"]
        with self.st.lock:
            if mode == "normal":
                self.st.tokens[token] = {"client_id": client.client_id,
                                         "scope": list(granted),
                                         "exp": time.time() + int(expires)}
                self.st.stats["tokens_issued"] += 1
            bc = self.st.stats["by_client"]
            bc[client.client_id] = bc.get(client.client_id, 0) + 1
        if mode == "normal":
            return self.send(200, resp)
        if mode == "malformed":
            return self.send(200, '{"access_token": "%s", "token_type": "Bearer", '
                             '"expires_in": ' % token)
        if mode == "oversized-token":
            resp["access_token"] = "A" * 9000
            return self.send(200, resp)
        if mode == "huge":
            resp["padding"] = "P" * BODY_MAX
            return self.send(200, resp)
        if mode == "no-expires":
            del resp["expires_in"]
            return self.send(200, resp)
        if mode == "string-expires":
            resp["expires_in"] = str(expires)
            return self.send(200, resp)
        if mode == "zero-expires":
            resp["expires_in"] = 0
            return self.send(200, resp)
        if mode == "no-token":
            del resp["access_token"]
            return self.send(200, resp)
        if mode == "control-chars":
            resp["access_token"] = token + "\r\nX-Injected: 1"
            return self.send(200, resp)
        if mode == "html":
            return self.send(200, "<html><body>maintenance</body></html>", "text/html")
        if mode == "redirect":
            return self.send(302, "", "text/plain",
                             {"Location": "https://example.invalid/oauth/token"})
        return self.send(500, {"error": "server_error"})

    # -- the protected API ------------------------------------------------

    def bearer(self, project, wanted):
        """The token record for the request's Bearer token, or raise."""
        with self.st.lock:
            self.st.stats["api_requests"] += 1
        header = self.headers.get("Authorization") or ""
        scheme, _, tok = header.partition(" ")
        with self.st.lock:
            rec = self.st.tokens.get(tok.strip()) if scheme.lower() == "bearer" else None
            if rec is not None and rec["exp"] < time.time():
                rec = None
            if rec is None:
                self.st.stats["api_denied"] += 1
        if rec is None:
            raise OAuthError(401, "invalid_token", "invalid_token",
                             {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if wanted is not None and not any(
                "%s:%s" % (w, project) in rec["scope"] for w in wanted):
            with self.st.lock:
                self.st.stats["api_denied"] += 1
            raise OAuthError(403, "insufficient_scope",
                             "Insufficient scope. One of the following scopes is "
                             "missing: %s" % ", ".join("%s:%s" % (w, project)
                                                       for w in wanted))
        return rec

    def api_fault(self, method):
        """Injected failure or delay for an API Clients request, or None."""
        st = self.st
        with st.lock:
            f = dict(st.faults)
            methods = str(f["api_fail_methods"])
            match = methods == "*" or method in methods.split(",")
            inject = match and (f["api_fail_first"] < 0 or
                                st.api_failed < f["api_fail_first"])
            if inject:
                st.api_failed += 1
                st.stats["api_faults_injected"] += 1
        if f["api_delay"]:
            time.sleep(float(f["api_delay"]))
        if inject:
            return OAuthError(int(f["api_fail_status"]), "ServiceUnavailable",
                              "injected failure")
        return None

    @staticmethod
    def query_int(q, key, default, hi):
        vals = q.get(key)
        if vals is None:
            return default
        if len(vals) != 1 or not re.fullmatch(r"[0-9]+", vals[0]) or int(vals[0]) > hi:
            raise OAuthError(400, "InvalidInput",
                             "Malformed parameter: %s: must be 0 to %d" % (key, hi))
        return int(vals[0])

    def api_clients_query(self):
        st = self.st
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query,
                                  keep_blank_values=True)
        limit = self.query_int(q, "limit", 20, API_QUERY_LIMIT_MAX)
        offset = self.query_int(q, "offset", 0, API_QUERY_OFFSET_MAX)
        with_total = q.get("withTotal", ["true"])[-1] != "false"
        want = None
        for pred in q.get("where", []):
            m = WHERE_NAME.match(pred)
            with st.lock:
                where_ok = st.faults["api_where"]
            if not where_ok or m is None:
                raise OAuthError(400, "InvalidInput",
                                 "Malformed parameter: where: Syntax error "
                                 "or unsupported field.")
            name = re.sub(r"\\(.)", r"\1", m.group(1))
            if want is not None and want != name:
                return self.send(200, {"limit": limit, "offset": offset,
                                       "count": 0, "results": []})
            want = name
        with st.lock:
            st.stats["api_clients_queries"] += 1
            matching = [self.api_client_json(c) for c in st.clients.values()
                        if want is None or c.name == want]
        page = matching[offset:offset + limit]
        out = {"limit": limit, "offset": offset, "count": len(page),
               "results": page}
        if with_total:
            out["total"] = len(matching)
        return self.send(200, out)

    def api_clients_create(self, project):
        st = self.st
        try:
            draft = json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            draft = None
        if (not isinstance(draft, dict) or not isinstance(draft.get("name"), str)
                or not isinstance(draft.get("scope"), str)
                or not scope_list(draft["scope"]) or not draft["name"]):
            raise OAuthError(400, "InvalidJsonInput",
                             "Request body does not contain valid JSON.")
        for sc in scope_list(draft["scope"]):
            perm, _, rest = sc.partition(":")
            if not perm or rest.split(":")[0] != project:
                raise OAuthError(400, "InvalidInput",
                                 "Invalid scope '%s' for project '%s'." % (sc, project))
        with st.lock:
            mode = st.faults["api_response"]
            if mode == "race":
                st.faults["api_response"] = "normal"
                racer = Client({"client_id": secrets.token_urlsafe(18)[:24],
                                "client_secret": secrets.token_urlsafe(24)[:32],
                                "scopes": scope_list(draft["scope"]),
                                "auth": "basic-raw", "style": "commercetools",
                                "name": draft["name"]}, st.args.expires_in)
                st.clients[racer.client_id] = racer
                st.stats["api_clients_created"] += 1
            if any(c.name == draft["name"] for c in st.clients.values()):
                e = OAuthError(400, "DuplicateField",
                               "A duplicate value '\"%s\"' exists for field "
                               "'name'." % draft["name"])
                raise e
            if mode == "html":
                return self.send(200, "<html><body>maintenance</body></html>",
                                 "text/html")
            scopes = scope_list(draft["scope"])
            if mode == "fewer-scopes":
                scopes = scopes[:1]
            client = Client({"client_id": secrets.token_urlsafe(18)[:24],
                             "client_secret": secrets.token_urlsafe(24)[:32],
                             "scopes": scopes,
                             "auth": "basic-raw", "style": "commercetools",
                             "name": draft["name"] + ("-x" if mode == "renamed" else ""),
                             "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                                        time.gmtime())},
                            st.args.expires_in)
            st.clients[client.client_id] = client
            st.stats["api_clients_created"] += 1
        out = self.api_client_json(client)
        out["secret"] = client.client_secret  # shown exactly once
        if mode == "malformed":
            return self.send(201, json.dumps(out)[:40])
        if mode == "huge":
            out["padding"] = "P" * BODY_MAX
        if mode == "no-secret":
            del out["secret"]
        return self.send(200 if mode == "status-200" else 201, out)

    def api_clients(self, method, parts):
        """commercetools' API Clients API, enough for rotation tests."""
        project = parts[0]
        fault = self.api_fault(method)
        if fault is not None:
            raise fault
        self.bearer(project, ("manage_api_clients",) if method != "GET" else
                    ("manage_api_clients", "view_api_clients"))
        st = self.st
        if method == "POST" and len(parts) == 2:
            return self.api_clients_create(project)
        if method == "GET" and len(parts) == 2:
            return self.api_clients_query()
        if len(parts) == 3 and method in ("GET", "DELETE"):
            with st.lock:
                client = st.clients.get(parts[2])
                if client is not None and method == "DELETE":
                    del st.clients[parts[2]]
                    st.stats["api_clients_deleted"] += 1
            if client is None:
                raise OAuthError(404, "ResourceNotFound",
                                 "The Resource with ID '%s' was not found." % parts[2])
            return self.send(200, self.api_client_json(client))
        raise OAuthError(405, "MethodNotAllowed", "method not allowed")

    @staticmethod
    def api_client_json(client):
        return {"id": client.client_id, "name": client.name,
                "scope": " ".join(client.scopes), "createdAt": client.created_at}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def load_clients(path, default_expires):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    return [Client(d, default_expires) for d in doc["clients"]]


def write_atomic(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="ascii") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clients", required=True, help="JSON clients table (holds secrets)")
    p.add_argument("--port-file", required=True)
    p.add_argument("--pid-file", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--expires-in", type=int, default=3600)
    p.add_argument("--fail-first", type=int, default=0,
                   help="fail the first N token requests (-1: all)")
    p.add_argument("--fail-status", type=int, default=503)
    p.add_argument("--retry-after", default=None)
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--response", choices=RESPONSES, default="normal")
    p.add_argument("--log", default=None)
    p.add_argument("--tls-cert", default=None)
    p.add_argument("--tls-key", default=None)
    p.add_argument("--keep-running", action="store_true",
                   help="do not exit when the parent process exits")
    args = p.parse_args(argv)

    write_atomic(args.pid_file, "%d\n" % os.getpid())
    state = State(args, load_clients(args.clients, args.expires_in))
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.state = state
    if args.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    # A test killed before its cleanup ran must not leave us behind.
    parent = os.getppid()

    def watch_parent():
        while os.getppid() == parent:
            time.sleep(0.5)
        srv.shutdown()

    if not args.keep_running:
        threading.Thread(target=watch_parent, daemon=True).start()
    write_atomic(args.port_file, "%d\n" % srv.server_address[1])
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
