"""Python's xmlrpc.client as an independent codec.

  decode: stdin is an XML-RPC document; prints {"method", "params"} or {"fault": {"code", "string"}}.
  encode: stdin is JSON {"method"?, "params"?, "response"?, "fault"?}; prints the XML Python writes.
Bytes travel as {"$base64": "..."} and datetimes as {"$datetime": "..."} in JSON.
"""
import base64
import datetime
import json
import sys
import xmlrpc.client


def to_json(value):
    if isinstance(value, bytes):
        return {"$base64": base64.b64encode(value).decode()}
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.strftime("%Y%m%dT%H:%M:%S")}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


def from_json(value):
    if isinstance(value, dict):
        if "$base64" in value:
            return base64.b64decode(value["$base64"])
        if "$datetime" in value:
            return xmlrpc.client.DateTime(value["$datetime"])
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


mode = sys.argv[1]
if mode == "decode":
    data = sys.stdin.buffer.read()
    try:
        params, method = xmlrpc.client.loads(data, use_builtin_types=True)
        print(json.dumps({"method": method, "params": to_json(list(params))}))
    except xmlrpc.client.Fault as fault:
        print(json.dumps({"fault": {"code": fault.faultCode, "string": fault.faultString}}))
elif mode == "encode":
    spec = json.loads(sys.stdin.read())
    if "fault" in spec:
        out = xmlrpc.client.dumps(xmlrpc.client.Fault(spec["fault"]["code"], spec["fault"]["string"]), methodresponse=True)
    elif "response" in spec:
        out = xmlrpc.client.dumps((from_json(spec["response"]),), methodresponse=True, allow_none=True)
    else:
        out = xmlrpc.client.dumps(tuple(from_json(spec["params"])), spec["method"], allow_none=True)
    sys.stdout.buffer.write(out.encode("utf-8"))
