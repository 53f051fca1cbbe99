"""Pages opened by their own URL on a fresh server go through the app's navigation.

Until `app.py` has called `st.navigation` once, Streamlit runs a `pages/` script on its own,
with a sidebar made from file names ("app", no icons). Each page calls `through_the_app`
first; `app.py` calls `continue_to_wanted_page` once its navigation is built.
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

WANTED_PAGE = "navigation_wanted_page"


def through_the_app(page_file):
    """Restarts a page opened before the app's navigation existed, through `app.py`; `None`
    goes on to the app's main page (the draw page)."""
    if PagesManager.uses_pages_directory:
        if page_file:
            st.session_state[WANTED_PAGE] = page_file
        st.switch_page("app.py")


def continue_to_wanted_page():
    """Goes on to the page that was asked for by URL, if one was."""
    wanted = st.session_state.pop(WANTED_PAGE, None)
    if wanted:
        st.switch_page(wanted)
