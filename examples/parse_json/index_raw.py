# -*- coding: utf-8 -*-
# The original FC example ("Event handlers", example 1), unchanged: parse the JSON event by hand.
import json


def handler(event, context):
    evt = json.loads(event)
    return evt['key']
