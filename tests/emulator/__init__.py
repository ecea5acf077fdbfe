"""flowops provider emulator: a real local HTTP server standing in for the Descope, PingOne DaVinci and Kore.ai APIs.

Run it with ``python -m emulator --port 0`` (``PYTHONPATH=tests``); see README.md in this directory.
"""
