"""One router, `app.py`'s `st.navigation`, which pages opened by URL on a fresh server reach too.

Streamlit routes the `pages/` folder by file name until a script run calls `st.navigation`, and
never again after that, server-wide. So on a fresh server a page opened by its own URL runs on
its own, with a sidebar made of file names ("app", no icons), and `/draw` has no page but
`pages/0_draw.py`. Each page therefore calls `through_the_app` first: unless `app.py` is the one
running it (`run_page`), it goes on to `app.py`, which builds the navigation (Streamlit's only
routing from then on) and then `continue_to_wanted_page`. Public Streamlit API only.
"""

import contextvars

import streamlit as st
from streamlit.errors import StreamlitAPIException

WANTED_PAGE = "navigation_wanted_page"

# True while app.py runs the page its navigation chose, in this script run only.
_routed_by_app = contextvars.ContextVar("routed_by_app", default=False)


def run_page(page):
    """Runs the page `st.navigation` chose, as routed by the app (for `through_the_app`)."""
    token = _routed_by_app.set(True)
    try:
        page.run()
    finally:
        _routed_by_app.reset(token)


def through_the_app(page_file):
    """Goes on through `app.py` when the app's navigation did not route this run.

    Args:
        page_file: the page to come back to once the navigation is built, relative to
            `app.py`; `None` for the app's main page (the draw page).
    """
    if _routed_by_app.get():
        return
    if page_file:
        st.session_state[WANTED_PAGE] = page_file
    try:
        st.switch_page("app.py")
    except StreamlitAPIException:
        # No app.py to go to: the page is the main script itself (as AppTest runs a page).
        st.session_state.pop(WANTED_PAGE, None)


def continue_to_wanted_page():
    """Goes on to the page that was asked for by URL, if one was."""
    wanted = st.session_state.pop(WANTED_PAGE, None)
    if wanted:
        st.switch_page(wanted)
