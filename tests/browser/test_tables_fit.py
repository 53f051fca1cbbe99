"""Every table fits the page on a 1280x900 screen: no column hidden past its right edge, and
no "None" in a cell."""

import pytest

# Tables (and the scrolling boxes inside them) wider than the room they are shown in.
_CUT_OFF = """() => {
    const tables = document.querySelectorAll(
        '[data-testid=stDataFrame], [data-testid=stTable]');
    const cut = [];
    for (const table of tables) {
        for (const box of [table, ...table.querySelectorAll('*')]) {
            const overflow = getComputedStyle(box).overflowX;
            if (['auto', 'scroll', 'hidden'].includes(overflow)
                    && box.scrollWidth > box.clientWidth + 1) {
                cut.push(table.innerText.slice(0, 60).replace(/\\s+/g, ' '));
                break;
            }
        }
    }
    return cut;
}"""
# True once the tables' widths have not changed for five polls in a row: laid out.
_SETTLED = """() => {
    const sizes = [...document.querySelectorAll(
        '[data-testid=stDataFrame], [data-testid=stTable]')]
        .flatMap((table) => [table, ...table.querySelectorAll('*')])
        .map((box) => `${box.scrollWidth}/${box.clientWidth}`).join(' ');
    window.tableSizesSame = sizes === window.tableSizes ? window.tableSizesSame + 1 : 0;
    window.tableSizes = sizes;
    return window.tableSizesSame >= 5;
}"""


@pytest.mark.parametrize("page_name", ["Evaluation", "Comparison", "Monitoring"])
def test_every_table_fits_the_page(page, app_url, page_name):
    page.goto(f"{app_url}/{page_name}")
    page.get_by_test_id("stDataFrame").or_(page.get_by_test_id("stTable")).first.wait_for()
    page.wait_for_selector('[data-test-script-state="notRunning"]', state="attached")
    # The grids lay out their columns once they have mounted, which they do once in view.
    for grid in page.get_by_test_id("stDataFrame").all():
        grid.scroll_into_view_if_needed()
    # At least one grid, if the page has any (Monitoring without feedback has only tables), has
    # laid out; on Evaluation some grids in collapsed expanders never mount their scroller
    # (since the report grew the pen-writer sets): those are not checked.
    page.wait_for_function(
        "() => { const grids = [...document.querySelectorAll('[data-testid=stDataFrame]')];"
        " return !grids.length || grids.some((grid) => grid.querySelector('.dvn-scroller')); }"
    )
    page.wait_for_function(_SETTLED, polling=100)
    assert page.evaluate(_CUT_OFF) == []
    cells = page.locator("[data-testid=stTable] td").all_inner_texts()
    assert "None" not in [cell.strip() for cell in cells]
