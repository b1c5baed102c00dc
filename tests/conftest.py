"""Shared pytest set-up: offscreen Qt for every test, before anything imports Qt."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
