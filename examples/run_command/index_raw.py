# -*- coding: utf-8 -*-
# The original FC example ("Event handlers", example 3), unchanged: run an external command and
# return its output as bytes.
import subprocess


def handler(event, context):
    return subprocess.check_output(['ls', '-l'])
