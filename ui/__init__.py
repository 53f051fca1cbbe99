"""What the Streamlit pages show.

The modules here are pure: pictures with boxes (`annotate`), tables and captions of the
artifacts (`artifacts`), of the model comparison (`comparison`) and of the feedback
(`monitoring`), and plotly figures (`figures`), built from readings, artifacts and samples and
unit-tested without a browser. The Streamlit pieces (widgets, panels, the cached loaders and the
routing) are in `ui.widgets`.

Import rule (checked by tests/test_layout.py): nothing here imports Streamlit or `ui.widgets`;
nothing in `ui` imports TensorFlow, Keras, `model.training` or `model.study`.
"""
