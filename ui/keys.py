"""Keys for a teacher at a projector: space plays or pauses, ← and → step once.

Streamlit runs no script of ours in the page itself, so a zero-height
component (an iframe of the same origin) attaches one key listener to the
parent page.  It drives the first animated chart through its own Play/Pause
buttons and step slider, so the browser does the work and the server sees
nothing.
"""

from __future__ import annotations

import streamlit.components.v1 as components

_SCRIPT = """<script>
(function () {
  const doc = window.parent.document, win = window.parent;
  if (win.__teacherKeys) return;
  win.__teacherKeys = true;
  const chart = () => [...doc.querySelectorAll('.js-plotly-plot')]
      .find(g => g._fullLayout && g._fullLayout.sliders && g._fullLayout.sliders.length);
  const button = (g, text) => [...g.querySelectorAll('.updatemenu-button')]
      .find(b => b.textContent.includes(text));
  let playing = false;
  doc.addEventListener('keydown', (ev) => {
    const tag = (ev.target && ev.target.tagName) || '';
    if (/INPUT|TEXTAREA|SELECT/.test(tag) || ev.target.isContentEditable) return;
    if (ev.target.getAttribute && ev.target.getAttribute('role') === 'slider') return;
    const g = chart();
    if (!g) return;
    if (ev.key === ' ') {
      const b = button(g, playing ? 'Pause' : 'Play');
      if (!b) return;
      ev.preventDefault();
      b.dispatchEvent(new MouseEvent('click', {bubbles: true}));
      playing = !playing;
    } else if (ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') {
      const s = g._fullLayout.sliders[0];
      const next = Math.max(0, Math.min(s.steps.length - 1,
                                        s.active + (ev.key === 'ArrowRight' ? 1 : -1)));
      if (next === s.active) return;
      ev.preventDefault();
      playing = false;
      win.Plotly.animate(g, [s.steps[next].args[0][0]],
                         {frame: {duration: 0, redraw: false}, transition: {duration: 0},
                          mode: 'immediate'});
    }
  });
})();
</script>"""


def teacher_keys() -> None:
    components.html(_SCRIPT, height=0)
