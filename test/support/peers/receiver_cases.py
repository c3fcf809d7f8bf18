"""Runs receiver cases with Python's standard library only: xmlrpc.client for calls, urllib for raw bodies
and plain GETs. Reads {"endpoint", "cases": [...]} on stdin; prints one JSON result per case, in order.

A case is {"call": [method, params]}, {"raw": {"body", "contentType"}} or {"get": true}. A result is
{"result": value}, {"fault": {"code", "string"}}, plus "status" and "contentType" for raw and get cases.
"""
import json
import sys
import urllib.error
import urllib.request
import xmlrpc.client

spec = json.load(sys.stdin)
endpoint = spec["endpoint"]
out = []


def decode(body):
    try:
        params, _ = xmlrpc.client.loads(body)
        return {"result": params[0]}
    except xmlrpc.client.Fault as fault:
        return {"fault": {"code": fault.faultCode, "string": fault.faultString}}
    except Exception as error:  # not XML-RPC at all
        return {"error": "%s: %s" % (type(error).__name__, error)}


for case in spec["cases"]:
    try:
        if "call" in case:
            method, params = case["call"]
            proxy = xmlrpc.client.ServerProxy(endpoint)
            try:
                out.append({"result": getattr(proxy, method)(*params)})
            except xmlrpc.client.Fault as fault:
                out.append({"fault": {"code": fault.faultCode, "string": fault.faultString}})
        else:
            data = case["raw"]["body"].encode("utf-8") if "raw" in case else None
            headers = {"Content-Type": case["raw"]["contentType"]} if "raw" in case else {}
            request = urllib.request.Request(endpoint, data=data, headers=headers, method="POST" if data is not None else "GET")
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status, content_type, allow, body = response.status, response.headers.get("Content-Type"), response.headers.get("Allow"), response.read()
            except urllib.error.HTTPError as error:
                status, content_type, allow, body = error.code, error.headers.get("Content-Type"), error.headers.get("Allow"), error.read()
            result = decode(body) if "raw" in case else {}
            result.update({"status": status, "contentType": content_type, "allow": allow})
            out.append(result)
    except Exception as error:
        out.append({"error": "%s: %s" % (type(error).__name__, error)})

json.dump(out, sys.stdout)
