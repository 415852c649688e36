"""Entry point: page configuration and navigation (each run in its turn: ui/turns.py; after the
first, the process's long-lived objects leave the garbage collector's walk: ui/gcfreeze.py).
The page's sidebar is drawn after its body (ui/chrome.py: the figure reaches the browser first)."""

import streamlit as st

from ui.chrome import draw_sidebar
from ui.gcfreeze import after_run
from ui.turns import turn

st.set_page_config(page_title="Optimizer paths", page_icon="🧭", layout="wide")

with turn():
    pages = st.navigation([
        st.Page("app_pages/playground.py", title="Playground", icon=":material/timeline:", default=True),
        st.Page("app_pages/side_by_side.py", title="Side by side", icon=":material/grid_view:",
                url_path="side_by_side"),
        st.Page("app_pages/surface_3d.py", title="3D", icon=":material/landscape:", url_path="surface_3d"),
        st.Page("app_pages/lr_sweep.py", title="Learning-rate sweep", icon=":material/tune:", url_path="lr_sweep"),
        st.Page("app_pages/convergence_map.py", title="Convergence map", icon=":material/blur_on:",
                url_path="convergence_map"),
        st.Page("app_pages/update_rules.py", title="Update rules", icon=":material/functions:",
                url_path="update_rules"),
    ])
    try:
        pages.run()
    finally:  # the controls stay, whatever the page did
        draw_sidebar()
after_run()
