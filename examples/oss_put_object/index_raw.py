# -*- coding: utf-8 -*-
# mypy: allow-untyped-defs
# The original form, from Function Compute's Python "Event handlers" documentation (example 2):
# it only runs where the context has a ``credentials`` attribute (python3.6/3.9/3.10).
import json

import oss2


def handler(event, context):
    evt = json.loads(event)
    creds = context.credentials
    # Do not omit the security token for authentication.
    auth = oss2.StsAuth(creds.access_key_id, creds.access_key_secret, creds.security_token)
    bucket = oss2.Bucket(auth, evt["endpoint"], evt["bucket"])
    bucket.put_object(evt["objectName"], evt["message"])
    return "success"
