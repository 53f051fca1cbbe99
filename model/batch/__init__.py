"""Reading an archive of pictures: `python -m model batch INPUT... --out results.jsonl`.

`sources` turns folders, globs, file lists and fsspec URLs into the pictures to read,
`results` is the output file (JSON lines or CSV) that a re-run resumes from, `work` reads a
chunk of pictures in whichever process it runs in, `job` runs the whole job in this process
or in worker processes, and `cluster` on Dask distributed.

Import rule (checked by tests/test_layout.py): never TensorFlow, Keras or Streamlit, nor
`model.training` or `model.study`; Dask only in `cluster`, which the job imports when a
cluster is asked for.
"""
