"""Start the app: ``python serve.py [streamlit run options]`` (what ``make run`` does).

Same as ``streamlit run app.py``, with one difference.  Because a ``pages/``
folder sits beside ``app.py``, Streamlit runs a freshly started server's first
session through its legacy folder-based navigation before ``app.py`` gets to
call ``st.navigation``.  When that first visitor opens a sub-page link, the
legacy step does not know the page and shows a "Page not found" dialog over the
right page (streamlit/streamlit#8860, #9992).  This app routes with
``st.navigation`` only, so say so before the first session starts.
"""

import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

if __name__ == "__main__":
    PagesManager.uses_pages_directory = False  # app.py calls st.navigation itself
    app = str(Path(__file__).resolve().parent / "app.py")
    sys.argv = ["streamlit", "run", app, *sys.argv[1:]]
    sys.exit(cli.main())
