"""Facts and reference scores of a corpus folder: ``data stats`` and ``data probe``."""
