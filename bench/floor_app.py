"""The floor for bench/bench_app.py: a one-slider, one-line Plotly Streamlit app.

What every Streamlit app pays for a first chart and for a slider nudge, on this
machine, in the same run as the app (issue 6).  Served with the same command
and the same .streamlit/config.toml as the app.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

a = st.slider("Frequency", min_value=0.5, max_value=10.0, value=3.0, step=0.1, key="floor.a")
x = np.linspace(0.0, 10.0, 200)
fig = go.Figure(go.Scatter(x=x, y=np.sin(a * x), mode="lines", name="sin(a x)"))
fig.update_layout(height=420, margin=dict(l=40, r=10, t=30, b=40))
st.plotly_chart(fig, key="floor.chart", config={"displaylogo": False})
