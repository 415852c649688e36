"""Load test for the app over Streamlit's own websocket protocol (`make loadtest`).

- session.py:  one browser tab (HTTP open, websocket, rerun requests, what the page shows)
- widgets.py:  widgets found in the element protos; their values and wire encoding
- students.py: a class of students for one round; what the round measured
- procstat.py: server memory and CPU from /proc
- report.py:   figures as text
- __main__.py: the command line (starts the app as `make run` does, or N replicas behind HAProxy)
"""
