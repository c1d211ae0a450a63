#!/usr/bin/env bash
# End-to-end smoke test of provider.mjs without any Rust: authorization code
# flow with PKCE driven by curl, ID token checks, and code-replay refusal.
# Needs node (deps installed: `npm ci` here), curl and python3. Exit 0 = pass.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if [[ ! -d node_modules/oidc-provider ]]; then
  echo "smoke: installing dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi

work="$(mktemp -d)"
pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

die() { echo "smoke: FAIL: $*" >&2; exit 1; }

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
client_id="witzo-test"
client_secret="witzo-test-secret"
redirect_uri="http://127.0.0.1:9/callback"
export OIDC_PORT="$port"
export OIDC_CLIENTS="[{\"client_id\":\"$client_id\",\"client_secret\":\"$client_secret\",\"redirect_uris\":[\"$redirect_uri\"]}]"

mkfifo "$work/out"
node provider.mjs >"$work/out" 2>"$work/stderr" &
pid=$!
exec 3<"$work/out"
ready=""
if ! IFS= read -r -t 20 ready <&3; then
  cat "$work/stderr" >&2
  die "provider did not print a ready line"
fi
# keep draining stdout so the provider never blocks on a full pipe
cat <&3 >"$work/stdout.rest" &
issuer="http://127.0.0.1:$port"
[[ "$ready" == "ready $issuer" ]] || die "unexpected ready line: '$ready'"
echo "smoke: $ready"

discovery="$(curl -fsS "$issuer/.well-known/openid-configuration")"
jget() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
[[ "$(jget "$discovery" issuer)" == "$issuer" ]] || die "discovery issuer mismatch"
auth_ep="$(jget "$discovery" authorization_endpoint)"
token_ep="$(jget "$discovery" token_endpoint)"
jwks_uri="$(jget "$discovery" jwks_uri)"
echo "smoke: authorization_endpoint=$auth_ep token_endpoint=$token_ep jwks_uri=$jwks_uri"
jwks="$(curl -fsS "$jwks_uri")"
python3 -c 'import json,sys; k=json.loads(sys.argv[1])["keys"]; assert len(k)==1 and k[0]["kty"]=="RSA" and k[0].get("kid") and "d" not in k[0], k' "$jwks" \
  || die "jwks does not publish exactly one public RSA key with a kid"

# PKCE + state + nonce
read -r verifier challenge state nonce < <(python3 - <<'EOF'
import base64, hashlib, secrets
b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
v = b(secrets.token_bytes(32))
print(v, b(hashlib.sha256(v.encode()).digest()), b(secrets.token_bytes(12)), b(secrets.token_bytes(12)))
EOF
)
auth_url="$(python3 -c '
import sys, urllib.parse
ep, cid, ru, st, no, ch = sys.argv[1:]
print(ep + "?" + urllib.parse.urlencode({
  "response_type": "code", "client_id": cid, "redirect_uri": ru,
  "scope": "openid email profile", "state": st, "nonce": no,
  "code_challenge": ch, "code_challenge_method": "S256",
  "login_hint": "u1:ada@example.com:true"}))' "$auth_ep" "$client_id" "$redirect_uri" "$state" "$nonce" "$challenge")"

# Follow redirects by hand (cookie jar kept) until Location points at redirect_uri.
jar="$work/cookies"
url="$auth_url"
final=""
for hop in 1 2 3 4 5 6 7 8 9 10; do
  read -r status location < <(curl -sS -o "$work/body" -b "$jar" -c "$jar" \
    -w '%{http_code} %{redirect_url}\n' "$url")
  echo "smoke: hop $hop: GET ${url%%\?*} -> $status ${location%%\?*}"
  [[ "$status" =~ ^30[1237]$ ]] || { cat "$work/body" >&2; die "hop $hop: expected a redirect, got $status"; }
  [[ -n "$location" ]] || die "hop $hop: redirect without Location"
  if [[ "$location" == "$redirect_uri"* ]]; then final="$location"; break; fi
  url="$location"
done
[[ -n "$final" ]] || die "never redirected to $redirect_uri"
echo "smoke: callback: $final"

read -r code got_state < <(python3 -c '
import sys, urllib.parse
q = urllib.parse.parse_qs(urllib.parse.urlsplit(sys.argv[1]).query)
if "error" in q: sys.exit("authorization error: %s" % q)
print(q["code"][0], q["state"][0])' "$final") || die "callback has no code"
[[ "$got_state" == "$state" ]] || die "state mismatch: $got_state != $state"

token_request() {
  curl -sS -o "$work/token.json" -w '%{http_code}' -u "$client_id:$client_secret" \
    --data-urlencode grant_type=authorization_code \
    --data-urlencode "code=$code" \
    --data-urlencode "redirect_uri=$redirect_uri" \
    --data-urlencode "code_verifier=$verifier" \
    "$token_ep"
}

status="$(token_request)"
[[ "$status" == 200 ]] || { cat "$work/token.json" >&2; die "token exchange returned $status"; }
python3 - "$work/token.json" "$jwks" "$issuer" "$client_id" "$nonce" <<'EOF' || die "ID token checks failed"
import base64, json, sys, time
tok = json.load(open(sys.argv[1]))
jwks, issuer, client_id, nonce = json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
print("smoke: token response keys:", sorted(tok))
d = lambda s: json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
h64, p64, _ = tok["id_token"].split(".")
header, payload = d(h64), d(p64)
print("smoke: id_token header:", json.dumps(header))
print("smoke: id_token payload:", json.dumps(payload, indent=2, sort_keys=True))
checks = {
  "alg == RS256": header.get("alg") == "RS256",
  "kid published": header.get("kid") == jwks["keys"][0]["kid"],
  "iss": payload.get("iss") == issuer,
  "sub == u1": payload.get("sub") == "u1",
  "aud == witzo-test": payload.get("aud") == client_id,
  "email": payload.get("email") == "ada@example.com",
  "email_verified is true": payload.get("email_verified") is True,
  "nonce": payload.get("nonce") == nonce,
  "exp in future": payload.get("exp", 0) > time.time(),
  "token_type Bearer": tok.get("token_type") == "Bearer",
}
bad = [k for k, ok in checks.items() if not ok]
for k, ok in checks.items():
  print("smoke: check %-24s %s" % (k, "ok" if ok else "FAILED"))
sys.exit(1 if bad else 0)
EOF

# Replaying the same code must be refused.
status="$(token_request)"
body="$(cat "$work/token.json")"
echo "smoke: replay -> $status $body"
[[ "$status" == 400 ]] || die "code replay returned $status, expected 400"
[[ "$(jget "$body" error)" == invalid_grant ]] || die "code replay error is not invalid_grant"

# Clean shutdown on SIGTERM.
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
pid=""
[[ "$rc" == 0 ]] || die "provider exited $rc on SIGTERM"
if [[ -s "$work/stderr" ]]; then
  echo "smoke: provider stderr:" >&2
  cat "$work/stderr" >&2
fi
echo "smoke: PASS"
