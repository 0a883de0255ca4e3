"""End to end: the conversational model trained by the Trainer on a tiny synthetic dialogue task."""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset

from course_lib.models.audio import SimpleAudioEmbedder
from course_lib.models.conversation import ConversationalModel
from course_lib.models.fusion import ConcatFusion
from course_lib.models.text import BiLSTMTextEmbedder
from course_lib.training.trainer import Trainer


class Windows(Dataset):
    """Windows of 3 turns; the label is the cue word of the first real turn (context is needed).

    Text cue words 1 and 2 carry the class; the current turn itself holds only neutral words
    (3..9), so a model that ignores the earlier turns stays at chance.
    """

    def __init__(self, n: int, seed: int):
        generator = torch.Generator().manual_seed(seed)
        self.labels = torch.randint(0, 2, (n,), generator=generator)
        self.text = torch.randint(3, 10, (n, 3, 5), generator=generator)
        self.text[torch.arange(n), 0, 0] = self.labels + 1
        self.audio = torch.randn(n, 3, 8, 4, generator=generator)
        self.mask = torch.ones(n, 3)
        self.mask[: n // 4, 0] = 0  # left padding: then the cue sits in turn 1
        self.text[: n // 4, 1, 0] = self.labels[: n // 4] + 1

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"text": self.text[i], "audio": self.audio[i], "mask": self.mask[i], "label": self.labels[i]}


def test_conversational_model_learns_from_context():
    torch.manual_seed(0)
    text = BiLSTMTextEmbedder(vocab_size=10, embedding_dim=8, hidden_size=8, num_layers=1)
    audio = SimpleAudioEmbedder(4, conv_channels=(4,), kernel_size=3, hidden_size=4, num_layers=1)
    model = ConversationalModel(
        {"text": text, "audio": audio}, ConcatFusion({"text": 16, "audio": 8}), num_classes=2, dense_size=16
    )
    train = DataLoader(Windows(160, 0), batch_size=16, shuffle=True)
    val = DataLoader(Windows(64, 1), batch_size=64)
    trainer = Trainer(labels=("a", "b"), max_epochs=12, patience=4, lr=1e-2, progress=False, seed=0)
    trainer.fit(model, train, val)
    assert trainer.best_score >= 0.9
    assert trainer.evaluate(val)["weighted_f1"] == trainer.best_score
