"""The data: MNIST (loading, the validation split, IDX files), the synthetic re-drawn test sets,
the synthetic non-digits the gate learns to doubt, and the readers of the real evaluation sets,
which nothing trains on: USPS and the manifest of pictures people made (in ../shared), and the
UCI digits that ship with scikit-learn.

Import rule (checked by tests/test_layout.py): no TensorFlow, Keras or Streamlit, nothing from
`model.training`, `model.study` or `model.operations`; scikit-learn only inside the functions
that need it. It may use `model.inference` (to crop like the predictor).
"""
