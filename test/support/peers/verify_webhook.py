"""Verifies Standard Webhooks signatures with Python's standard library alone (hmac, hashlib, base64).

stdin: JSON lines {"secret": "whsec_...", "headers": {"webhook-id", "webhook-timestamp", "webhook-signature"},
"body": "<the raw body as received>", "now": <unix seconds>}; prints one JSON line per input:
{"valid": bool, "why": str}. The timestamp must be within 5 minutes of "now", as the spec recommends.
"""
import base64
import hashlib
import hmac
import json
import sys


def verify(message):
    secret = message["secret"]
    if not secret.startswith("whsec_"):
        return False, "secret without whsec_"
    key = base64.b64decode(secret[len("whsec_"):])
    headers = message["headers"]
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        return False, "missing header"
    if abs(int(message["now"]) - int(timestamp)) > 300:
        return False, "timestamp out of tolerance"
    signed = f"{msg_id}.{timestamp}.{message['body']}".encode("utf-8")
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True, "ok"
    return False, "no matching signature"


for line in sys.stdin:
    valid, why = verify(json.loads(line))
    print(json.dumps({"valid": valid, "why": why}), flush=True)
