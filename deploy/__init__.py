"""Serving the app: app processes started as `make run` starts them, and HAProxy in front."""
