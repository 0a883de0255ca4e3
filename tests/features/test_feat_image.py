"""Image loading, preprocessing and the EfficientNet-Lite0 backbone."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch
from PIL import Image

from course_lib.features.encoders import EfficientNetLite0, ImageEmbeddings
from course_lib.features.image import ImageDecodeError, load_batch, load_image, to_tensor

PHOTO = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"  # a portrait in uniform
MILITARY_UNIFORM = 652  # ImageNet class index


def _stripes(path: Path, horizontal: bool) -> Path:
    pixels = np.zeros((120, 160, 3), dtype=np.uint8)
    if horizontal:
        pixels[::20] = 255
    else:
        pixels[:, ::20, 0] = 255
    Image.fromarray(pixels).save(path)
    return path


def test_load_image_converts_modes_to_rgb(tmp_path):
    Image.new("L", (30, 20), 128).save(tmp_path / "grey.png")
    Image.new("RGBA", (30, 20), (10, 20, 30, 0)).save(tmp_path / "alpha.png")
    Image.new("P", (30, 20)).save(tmp_path / "palette.gif")
    for name in ("grey.png", "alpha.png", "palette.gif"):
        image = load_image(tmp_path / name)
        assert image.mode == "RGB" and image.size == (30, 20)


@pytest.mark.parametrize("content", [b"", b"this is not an image", "truncated"])
def test_undecodable_images_raise_naming_the_file(tmp_path, content):
    path = tmp_path / "bad.jpg"
    if content == "truncated":
        data = PHOTO.read_bytes()
        content = data[: len(data) // 3]
    path.write_bytes(content)
    with pytest.raises(ImageDecodeError, match="bad.jpg"):
        load_image(path)


def test_missing_image_raises(tmp_path):
    with pytest.raises(ImageDecodeError, match="nope.png"):
        load_image(tmp_path / "nope.png")


def test_to_tensor_resizes_crops_and_normalises():
    image = Image.new("RGB", (300, 200), (255, 0, 128))
    x = to_tensor(image, size=224, resize=256, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    assert x.shape == (3, 224, 224) and x.dtype == torch.float32
    torch.testing.assert_close(x[:, 100, 100], torch.tensor([1.0, -1.0, 128 / 255 * 2 - 1]))


def test_efficientnet_recognises_an_imagenet_photo():
    model = EfficientNetLite0(keep_classifier=True).eval()
    with torch.inference_mode():
        top5 = model.logits(model.preprocess([load_image(PHOTO)])).topk(5).indices[0].tolist()
    assert MILITARY_UNIFORM in top5
    with pytest.raises(RuntimeError, match="keep_classifier"):
        EfficientNetLite0(weights=False).logits(torch.zeros(1, 3, 224, 224))


def test_efficientnet_features(efficientnet, tmp_path):
    paths = [_stripes(tmp_path / "h.png", True), _stripes(tmp_path / "v.png", False), PHOTO]
    batch = load_batch(paths, mean=efficientnet.mean, std=efficientnet.std)
    with torch.inference_mode():
        feats = efficientnet(batch)
        maps = efficientnet.feature_maps(batch[:1])
    assert feats.shape == (3, 1280) and maps.shape == (1, 1280, 7, 7)
    assert torch.isfinite(feats).all()
    assert not torch.allclose(feats[0], feats[1], atol=1e-3)
    with torch.inference_mode():
        torch.testing.assert_close(efficientnet(batch[2:]), feats[2:], atol=1e-5, rtol=1e-5)  # deterministic


def test_efficientnet_can_be_fine_tuned():
    model = EfficientNetLite0()
    model.train()
    head = torch.nn.Linear(model.out_dim, 3)
    images = torch.randn(2, 3, 96, 96)  # any size works; small keeps the test fast
    loss = torch.nn.functional.cross_entropy(head(model(images)), torch.tensor([0, 2]))
    loss.backward()
    assert model.net._conv_stem.weight.grad is not None
    assert model.net._conv_stem.weight.grad.abs().sum() > 0


def test_image_embeddings_extractor(efficientnet, tmp_path):
    paths = [_stripes(tmp_path / "h.png", True), PHOTO]
    items = ImageEmbeddings(efficientnet, batch_size=1)(paths)
    assert [i.shape for i in items] == [(1280,), (1280,)] and items[0].dtype == np.float32
    (tmp_path / "broken.png").write_bytes(b"")
    with pytest.raises(ImageDecodeError, match="broken.png"):
        ImageEmbeddings(efficientnet)([tmp_path / "broken.png"])


@pytest.fixture(scope="module")
def tiny_mobilenet(tmp_path_factory):
    """A small randomly initialised MobileNetV2 saved as a local folder (tests the online code path)."""
    from transformers import MobileNetV2Config, MobileNetV2Model
    from transformers.models.mobilenet_v2 import MobileNetV2ImageProcessorPil

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-mobilenet")
    MobileNetV2Model(MobileNetV2Config(depth_multiplier=0.35, image_size=64)).save_pretrained(folder)
    MobileNetV2ImageProcessorPil(
        size={"shortest_edge": 72}, crop_size={"height": 64, "width": 64}
    ).save_pretrained(folder)
    return folder


def test_transformers_backbone_from_a_local_folder(tiny_mobilenet, tmp_path):
    from course_lib.features.encoders import TransformersImageBackbone, load_image_backbone

    model = load_image_backbone(tiny_mobilenet)
    assert isinstance(model, TransformersImageBackbone) and not model.training
    paths = [_stripes(tmp_path / "h.png", True), _stripes(tmp_path / "v.png", False)]
    batch = model.preprocess([load_image(p) for p in paths])
    assert batch.shape == (2, 3, 64, 64)
    with torch.inference_mode():
        feats = model(batch)
    assert feats.shape == (2, model.out_dim) and torch.isfinite(feats).all()
    assert ImageEmbeddings(model, backbone_name=str(tiny_mobilenet))(paths)[0].shape == (model.out_dim,)


def test_unknown_hub_model_fails_clearly_offline(monkeypatch):
    from course_lib.features.encoders import load_image_backbone

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OSError, match="no-such-org/no-such-model.*HF_HUB_OFFLINE"):
        load_image_backbone("no-such-org/no-such-model")


def test_efficientnet_regions_at_128_px_are_a_4x4_grid_whose_mean_is_the_pooled_vector(tmp_path):
    from course_lib.features.encoders import ImageRegions, load_image_backbone

    backbone = load_image_backbone(image_size=128)
    paths = [_stripes(tmp_path / "h.png", True), _stripes(tmp_path / "v.png", False)]
    batch = backbone.preprocess([load_image(p) for p in paths])
    assert batch.shape == (2, 3, 128, 128)
    with torch.inference_mode():
        regions = backbone.regions(batch)
        pooled = backbone(batch)
    assert regions.shape == (2, 16, 1280)
    torch.testing.assert_close(regions.mean(1), pooled)
    items = ImageRegions(backbone)(paths)
    assert len(items) == 2 and items[0].shape == (16, 1280) and items[0].dtype == np.float32
    assert not np.allclose(items[0], items[1])
