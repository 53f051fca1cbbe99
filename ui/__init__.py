"""What the Streamlit pages show, in two kinds of module.

Pure (no Streamlit import; unit-tested without a browser): `annotate`, `artifacts`, `comparison`,
`figures`, `monitoring`. Pictures with boxes, tables and plotly figures built from readings,
artifacts and feedback samples.

Streamlit (widgets, cached loaders and routing; tested with AppTest and in Chromium): `admin`,
`canvas` (with `canvas.js` and `canvas.css`), `feedback`, `loaders`, `navigation`,
`samples_panel`, `sheet`, `versions`, `views`.

Import rule (checked by tests/test_layout.py): the pure modules never import Streamlit, the
others do, and none imports TensorFlow, Keras, `model.training` or `model.study`.
"""
