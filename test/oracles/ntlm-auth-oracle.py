"""Independent NTLMv2 initiator for cross-checks: Debian's python3-ntlm-auth (test use only).

Reads JSON on stdin: user, password, domain, client_challenge and session_key (hex: the bytes
os.urandom hands out), optional channel_bindings (hex application data), challenge (hex), to_send (hex list) and received (hex list of
wrapped server messages). Writes JSON: negotiate, authenticate, wrapped, unwrapped (hex).
Every run replays the whole exchange; with fixed random bytes it is deterministic.
"""
import json
import os
import sys

request = json.load(sys.stdin)
fixed = {8: bytes.fromhex(request["client_challenge"]), 16: bytes.fromhex(request["session_key"])}
os.urandom = lambda n: fixed[n]

from ntlm_auth.ntlm import NtlmContext  # noqa: E402  (after os.urandom is fixed)

from ntlm_auth.gss_channel_bindings import GssChannelBindingsStruct  # noqa: E402

cbt = None
if request.get("channel_bindings"):
    cbt = GssChannelBindingsStruct()
    cbt[cbt.APPLICATION_DATA] = bytes.fromhex(request["channel_bindings"])
ctx = NtlmContext(request["user"], request["password"], request["domain"] or None, None, cbt_data=cbt, ntlm_compatibility=3)
out = {"negotiate": ctx.step().hex()}
if request.get("challenge"):
    out["authenticate"] = ctx.step(bytes.fromhex(request["challenge"])).hex()
    out["wrapped"] = [ctx.wrap(bytes.fromhex(m)).hex() for m in request.get("to_send", [])]
    out["unwrapped"] = [ctx.unwrap(bytes.fromhex(m)).hex() for m in request.get("received", [])]
json.dump(out, sys.stdout)
