"""Entry point: page configuration and navigation, nothing else."""

import streamlit as st

st.set_page_config(page_title="Optimizer paths", page_icon="🧭", layout="wide")

st.navigation([
    st.Page("pages/lab/playground.py", title="Playground", icon=":material/timeline:", default=True),
    st.Page("pages/lab/side_by_side.py", title="Side by side", icon=":material/grid_view:",
            url_path="side_by_side"),
    st.Page("pages/lab/surface_3d.py", title="3D", icon=":material/landscape:", url_path="surface_3d"),
    st.Page("pages/lab/update_rules.py", title="Update rules", icon=":material/functions:",
            url_path="update_rules"),
]).run()
