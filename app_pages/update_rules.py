"""Update rules: each optimizer's rule from the library, in plain words, with a demo."""

import streamlit as st

import optimizers
from ui import pagestate
from viz import figures, presets

FIXES = {"direction": "fixes the direction", "step size": "fixes the step size",
         "both": "fixes direction and step size", "neither": "the baseline"}


def open_demo(name: str) -> None:
    pagestate.PageState.preset("pg", presets.demo(name))


st.title("Update rules")
st.markdown(
    "Every method below starts from the same gradient $g_t$. **Momentum** and **Nesterov** change "
    "the *direction* of the step; **AdaGrad**, **RMSProp** and **Adadelta** change its *size* per "
    "coordinate; **Adam** and its relatives do both. Each rule is shown exactly as this app computes "
    "it, which is exactly what `torch.optim` computes.")

for name in optimizers.names():
    spec = optimizers.spec(name)
    opt = optimizers.get(name)
    with st.container(border=True):
        head, button = st.columns([4, 1])
        head.markdown(f"<h3 style='margin:0;color:{figures.color(name)}'>{spec.label} "
                      f"<span style='font-size:0.9rem;color:#52606d;font-weight:400'>"
                      f"— {FIXES[spec.fixes]}</span></h3>", unsafe_allow_html=True)
        if button.button("Demo", key=f"rules.{name}", on_click=open_demo, args=(name,),
                         icon=":material/play_circle:", help="Open a demo in the Playground",
                         width="stretch"):
            st.switch_page("app_pages/playground.py")
        st.caption(f"Demo: {presets.demo_note(name)}")
        rule, notes = st.columns(2) if spec.textbook else (st.container(), None)
        with rule:
            st.caption("As computed here (and by torch.optim)")
            st.latex(opt.latex)
        if notes is not None:
            with notes:
                st.caption("As in the lecture notes")
                st.latex(spec.textbook)
                st.markdown(spec.textbook_note)
        st.markdown(spec.idea)
        defaults = ", ".join(f"`{k}={v}`" for k, v in spec.defaults.items())
        st.caption(f"Same as `{spec.torch}`. Defaults: {defaults}.")
