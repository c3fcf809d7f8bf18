"""An independent Webmention sender in Python's standard library only: urllib form POSTs, as a sender
does them (urllib.parse.urlencode, which urllib sends as application/x-www-form-urlencoded).

Reads {"endpoint", "cases": [...]} on stdin; prints one JSON result per case, in order. A case is
{"form": [[name, value], ...]} (repeated names allowed), {"raw": {"body" or "base64", "contentType"}} for
bodies no sender would make (base64 for bytes that are not text), or {"method": "GET"}; a result is {"status", "body", "contentType", "allow",
"retryAfter"}.
"""
import base64
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

spec = json.load(sys.stdin)
endpoint = spec["endpoint"]
out = []

for case in spec["cases"]:
    try:
        if "form" in case:
            data = urllib.parse.urlencode([tuple(pair) for pair in case["form"]]).encode("ascii")
            request = urllib.request.Request(endpoint, data=data, method="POST")
        elif "raw" in case:
            headers = {"Content-Type": case["raw"]["contentType"]} if case["raw"].get("contentType") else {}
            raw = case["raw"]
            data = base64.b64decode(raw["base64"]) if "base64" in raw else raw["body"].encode("utf-8")
            request = urllib.request.Request(endpoint, data=data, headers=headers, method="POST")
        else:
            request = urllib.request.Request(endpoint, method=case.get("method", "GET"))
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        out.append({
            "status": status,
            "body": body.decode("utf-8"),
            "contentType": headers.get("Content-Type"),
            "allow": headers.get("Allow"),
            "retryAfter": headers.get("Retry-After"),
        })
    except Exception as error:
        out.append({"error": "%s: %s" % (type(error).__name__, error)})

json.dump(out, sys.stdout)
