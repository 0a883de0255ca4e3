"""Models of the course: utterance embedders, fusion modules and classifiers.

* :mod:`~course_lib.models.text` — BiLSTM (random or GloVe embeddings) and transformer text embedders;
* :mod:`~course_lib.models.audio` — Conv1D + BiLSTM over frame features, and pooled speech-encoder features;
* :mod:`~course_lib.models.fusion` — concat, add, cross-attention, late and hybrid fusion;
* :mod:`~course_lib.models.sequence` — sequence blocks of the MOSI/MOSEI lessons (Conv1D projection,
  crossmodal attention, LSTM encoder, attention pooling, regression head);
* :mod:`~course_lib.models.mult` — MulT with per-user adapter tokens (lesson 06);
* :mod:`~course_lib.models.mvsa` — text/image heads and concat, pooled-MHA and region-MHA fusions (lesson 07);
* :mod:`~course_lib.models.baselines` — text-only LSTM and early-fusion LSTM baselines;
* :mod:`~course_lib.models.selfmm` — Self-MM with its unimodal label generation (ULGM) and the
  text-guided two-stage fusion, plus the early-fusion CNN in ``baselines`` (lesson 08);
* :mod:`~course_lib.models.seq2seq` — modality translation (encoder, attention decoder, cycle,
  hierarchical) with sentiment regressed from the encoder (lesson 09);
* :mod:`~course_lib.models.conversation` — the utterance classifier and the conversational model;
* :mod:`~course_lib.models.registry` — ``available(kind)`` / ``build(kind, name, **kwargs)``.

Import the sub-module you need; importing this package loads nothing else.
"""
