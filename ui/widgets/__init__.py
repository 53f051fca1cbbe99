"""The Streamlit pieces the pages share: the admin sign-in (`admin`), the drawing canvas
(`canvas`, with `canvas.js` and `canvas.css`), the "Is this right?" question (`feedback`), the
cached loaders (`loaders`), the one router (`navigation`), the feedback samples panel
(`samples_panel`), a sheet's numbers (`sheet`), the model versions (`versions`) and how a
reading is shown (`views`). Tested with AppTest and in Chromium.

Import rule (checked by tests/test_layout.py): Streamlit's public API only; no TensorFlow,
Keras, `model.training` or `model.study`.
"""
