"""Datasets of the course: loaders for the real formats and the torch side.

Modules (imported on demand; importing this package loads nothing heavy):

* :mod:`course_lib.data.records` -- typed records (``Utterance``, ``Dialogue``, ``Sample``, ``Post``);
* :mod:`course_lib.data.fileio` -- text in mixed encodings, truncated wav headers;
* :mod:`course_lib.data.iemocap` -- IEMOCAP (``IEMOCAP_full_release``) loader and session splits;
* :mod:`course_lib.data.mmsa` -- MMSA pickles (CMU-MOSI/MOSEI) loader;
* :mod:`course_lib.data.mvsa` -- MVSA Single/Multiple loader;
* :mod:`course_lib.data.datasets` -- torch Datasets, padding collate, conversation windows, k-shot splits;
* :mod:`course_lib.data.users` -- target users, leave-users-out pre-training data, k-shot draws per user;
* :mod:`course_lib.data.synthetic` -- the generator of the embedded corpora (same formats);
* :mod:`course_lib.data.cli` -- ``python -m course_lib data make|info``.
"""
