"""Shared test configuration: headless plotting, hub offline, smoke mode."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("COURSE_SMOKE", "1")
