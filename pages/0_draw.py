"""`/draw` opened first on a fresh server: on to the draw page, through the app.

Until `app.py` has called `st.navigation` once, Streamlit knows only the pages in this folder;
without this file it would answer `/draw` with a "Page not found" dialog, and the first stroke
drawn under it would only close the dialog. `app.py` lists this page nowhere.
"""

from ui.widgets.navigation import through_the_app

through_the_app(None)
