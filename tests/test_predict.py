"""``python -m course_lib predict``: saved lesson models run on a clip of one's own."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import torch

from course_lib import predict
from course_lib.__main__ import main
from course_lib.recipes.erc import ERCConfig, train_erc

#: Model sizes small enough to train in a second (one epoch, 1 s of audio).
TINY = {"hidden_size": 8, "num_layers": 1, "conv_channels": (8,), "embed_dim": 16, "dense_size": 16}
TINY |= {"max_epochs": 1, "patience": 1, "crop_seconds": 1.0}


@pytest.fixture(scope="module")
def data(small_erc_data):
    """The small IEMOCAP-format corpus of ``tests/conftest.py``."""
    return small_erc_data


@pytest.fixture(scope="module")
def saved(data, tmp_path_factory):
    """A text + MFCC model trained one epoch and saved as the default model; its training run."""
    folder = tmp_path_factory.mktemp("models")
    config = ERCConfig(**TINY, text="bilstm_random", audio="mfcc", fusion="add")
    result = train_erc(config, data, seed=0)
    predict.save_erc_model(
        result.model, config, data, predict.DEFAULT_MODEL, folder, "05_error_analysis", 0, {"f1": 0.5}
    )
    return folder, result


def test_saved_files_are_json_and_safetensors(saved):
    folder, _ = saved
    files = sorted(p.name for p in (folder / predict.DEFAULT_MODEL).iterdir())
    assert files == [predict.CONFIG_FILE, predict.WEIGHTS_FILE]


def test_loaded_model_predicts_a_turn_as_in_training(data, saved):
    folder, result = saved
    loaded = predict.load_erc_model(predict.DEFAULT_MODEL, folder)
    turn = data.labelled("test")[0]
    features = predict.clip_features(loaded, turn.wav_path, turn.text)
    ours = predict.predict(loaded, features)
    # The training path: the same turn through the recipe's features and the trained model.
    trained = {m: v[turn.id] for m, v in data.features_for(result.config).items()}
    assert torch.equal(trained["text"][trained["text"] != 0], features["text"])
    assert torch.allclose(trained["audio"], features["audio"], atol=1e-5)
    result.model.eval()
    reference = predict.predict(predict.SavedModel("x", result.model, *_rest(loaded)), trained)
    assert list(ours) == list(data.classes)
    assert np.allclose(list(ours.values()), list(reference.values()), atol=1e-5)
    assert sum(ours.values()) == pytest.approx(1.0)


def _rest(loaded):
    return loaded.config, loaded.classes, loaded.vocab, loaded.audio_scale, loaded.meta


def write_wav(path, data, rate: int, stereo: bool):
    wave, _ = sf.read(str(data.labelled("test")[0].wav_path), dtype="float32")
    if rate != 16_000:
        from course_lib.features.audio import resample

        wave = resample(wave, 16_000, rate)
    if stereo:
        wave = np.stack([wave, 0.5 * wave], axis=1)
    sf.write(str(path), wave, rate)
    return path


@pytest.mark.parametrize(("rate", "stereo"), [(44_100, True), (16_000, False)])
def test_cli_predicts_any_rate_stereo_or_mono(data, saved, tmp_path, capsys, rate, stereo):
    folder, _ = saved
    wav = write_wav(tmp_path / f"clip_{rate}.wav", data, rate, stereo)
    status = main(
        ["predict", "--audio", str(wav), "--text", "i am so happy today", "--models-dir", str(folder)]
    )
    out = capsys.readouterr().out
    assert status == 0
    line = next(line for line in out.splitlines() if line.startswith("prediction:"))
    shares = [float(x) for x in line.split("|")[1].split()[1::2]]
    assert len(shares) == len(data.classes) and sum(shares) == pytest.approx(1.0, abs=0.02)
    assert "05_error_analysis" in out


def test_text_file_renamed_wav_fails_naming_it(saved, tmp_path, capsys):
    folder, _ = saved
    fake = tmp_path / "not_audio.wav"
    fake.write_text("this is a text file, not a recording\n", encoding="utf-8")
    status = main(["predict", "--audio", str(fake), "--text", "hello", "--models-dir", str(folder)])
    err = capsys.readouterr().err
    assert status == 2
    assert "not_audio.wav" in err and "cannot read audio" in err


def test_empty_text_fails_clearly(data, saved, tmp_path, capsys):
    folder, _ = saved
    wav = write_wav(tmp_path / "clip.wav", data, 16_000, False)
    status = main(["predict", "--audio", str(wav), "--text", "   ", "--models-dir", str(folder)])
    assert status == 2
    assert "text is empty" in capsys.readouterr().err


def test_missing_input_names_the_option(saved):
    folder, _ = saved
    loaded = predict.load_erc_model(predict.DEFAULT_MODEL, folder)
    with pytest.raises(ValueError, match="--audio"):
        predict.clip_features(loaded, None, "hello")
    with pytest.raises(ValueError, match="--text"):
        predict.clip_features(loaded, "x.wav", None)


def test_model_never_trained_names_the_notebook(tmp_path, capsys):
    status = main(["predict", "--audio", "x.wav", "--text", "hi", "--models-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2
    assert "never trained" in err and "notebooks/05_error_analysis.ipynb" in err
    with pytest.raises(predict.ModelNotTrainedError, match="05_error_analysis"):
        predict.load_erc_model("iemocap_audio", tmp_path)


def test_image_is_refused_for_the_emotion_models(saved, tmp_path, capsys):
    folder, _ = saved
    status = main(
        ["predict", "--audio", "x.wav", "--text", "hi", "--image", "a.png", "--models-dir", str(folder)]
    )
    assert status == 2
    assert "not images" in capsys.readouterr().err


def test_corrupt_saved_config_names_the_file(saved, tmp_path):
    folder, _ = saved
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / predict.CONFIG_FILE).write_text("{not json", encoding="utf-8")
    (broken / predict.WEIGHTS_FILE).write_bytes(
        (folder / predict.DEFAULT_MODEL / predict.WEIGHTS_FILE).read_bytes()
    )
    with pytest.raises(ValueError, match="broken/config.json: line 1"):
        predict.load_erc_model("broken", tmp_path)


def test_whisper_model_matches_training_and_joins_the_default_output(data, saved, tmp_path, capsys):
    folder, _ = saved
    config = ERCConfig(**TINY, text=None, audio="whisper")
    result = train_erc(config, data, seed=0)
    predict.save_erc_model(result.model, config, data, "iemocap_audio", folder, "05_error_analysis", 0)
    loaded = predict.load_erc_model("iemocap_audio", folder)
    turn = data.labelled("test")[1]
    features = predict.clip_features(loaded, turn.wav_path, None)
    assert torch.allclose(features["audio"], data.audio_features("whisper", 1.0)[turn.id], atol=1e-4)
    wav = write_wav(tmp_path / "stereo.wav", data, 44_100, True)
    assert main(["predict", "--audio", str(wav), "--text", "fine", "--models-dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "audio alone:" in out and "prediction:" in out


def test_default_folder_prefers_full_mode_models_then_smoke_ones(saved, tmp_path, monkeypatch):
    folder, _ = saved
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    smoke = predict.models_dir(smoke=True)
    assert smoke == tmp_path.resolve() / "models" / "smoke"
    source = folder / predict.DEFAULT_MODEL
    for root in (smoke, predict.models_dir()):
        (root / predict.DEFAULT_MODEL).mkdir(parents=True)
        for name in (predict.CONFIG_FILE, predict.WEIGHTS_FILE):
            (root / predict.DEFAULT_MODEL / name).write_bytes((source / name).read_bytes())
        assert predict.find_model(predict.DEFAULT_MODEL) == root / predict.DEFAULT_MODEL


def test_saved_config_of_an_unknown_shape_names_the_file(saved, tmp_path):
    folder, _ = saved
    odd = tmp_path / "odd"
    odd.mkdir()
    meta = json.loads((folder / predict.DEFAULT_MODEL / predict.CONFIG_FILE).read_text(encoding="utf-8"))
    meta["config"]["colour"] = "blue"
    (odd / predict.CONFIG_FILE).write_text(json.dumps(meta), encoding="utf-8")
    (odd / predict.WEIGHTS_FILE).write_bytes(
        (folder / predict.DEFAULT_MODEL / predict.WEIGHTS_FILE).read_bytes()
    )
    with pytest.raises(ValueError, match="odd/config.json: not a configuration"):
        predict.load_erc_model("odd", tmp_path)


def test_the_clip_predictor_widget_predicts_an_example_and_an_upload_and_shows_errors(data, saved, tmp_path):
    from datetime import datetime, timezone
    from functools import partial

    from course_lib.widgets import ClipPredictor

    folder, _ = saved
    turns = data.labelled("test")[:2]
    examples = {t.id: (t.wav_path, t.text) for t in turns}
    widget = ClipPredictor(partial(predict.predict_clip, predict.DEFAULT_MODEL, folder=folder), examples)
    widget.clip.value = turns[1].id
    assert widget.text.value == turns[1].text, "choosing a clip fills in its words"
    expected = predict.predict_clip(predict.DEFAULT_MODEL, turns[1].wav_path, turns[1].text, folder)
    assert widget.update() == expected and f"clip {turns[1].id}: predicted" in widget.status.value
    assert widget.figure is not None
    stereo = tmp_path / "mine.wav"
    write_wav(stereo, data, 44_100, stereo=True)
    content = stereo.read_bytes()
    widget.upload.value = (
        {
            "name": "mine.wav",
            "type": "audio/wav",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": datetime.now(timezone.utc),
        },
    )
    assert set(widget.update()) == set(data.classes) and "your clip mine.wav" in widget.status.value
    widget.text.value = "   "
    assert widget.update() is None and "empty" in widget.status.value
    missing = ClipPredictor(
        partial(predict.predict_clip, predict.DEFAULT_MODEL, folder=tmp_path / "none"), examples
    )
    assert missing.update() is None and "05_error_analysis" in missing.status.value
