"""Features and pretrained encoders for text, audio and images, with a disk cache.

Modules (import the one you need; importing this package loads nothing heavy):
    text       tokenizer and vocabulary, GloVe embedding matrices, transformer sentence embeddings
               and token states
    audio      loading, crop/pad, statistical features, MFCC / log-Mel / Chroma (librosa or torchaudio)
    encoders   pretrained speech encoders (Whisper offline, any transformers model online),
               the EfficientNet-Lite0 / MobileNetV2 image backbones (pooled and region features),
               masked pooling
    image      image loading and preprocessing
    sequences  MMSA (MOSI/MOSEI) sequence features in one call: text per word piece, standardised
               audio and vision, masks (the sequence-model lessons)
    cache      ``extract(records, extractor, cache_dir)``: compute once, store on disk, reload
    bench      ``python -m course_lib bench features``
    assets     where the offline pretrained weights live
"""
