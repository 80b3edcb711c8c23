import pytest
import torch

from training.data import transforms as T
from training.models import DEFAULT_INPUT, PRESETS, ModelError, build_model, classifier, freeze_backbone

torch.set_num_threads(1)


def test_transforms_shapes_and_determinism():
    clip = torch.rand(3, 20, 48, 64)
    assert T.temporal_subsample(clip, 8).shape == (3, 8, 48, 64)
    assert T.short_side_resize(clip, 32).shape == (3, 20, 32, 43)
    crops = T.spatial_crops(T.short_side_resize(clip, 32), 32, 3)
    assert [c.shape for c in crops] == [(3, 20, 32, 32)] * 3
    assert not torch.equal(crops[0], crops[2])
    a = T.train_transform(clip, 8, 32, torch.Generator().manual_seed(3))
    b = T.train_transform(clip, 8, 32, torch.Generator().manual_seed(3))
    c = T.train_transform(clip, 8, 32, torch.Generator().manual_seed(4))
    assert a.shape == (3, 8, 32, 32) and torch.equal(a, b) and not torch.equal(a, c)
    flipped = T.horizontal_flip(clip)
    assert torch.equal(flipped[..., 0], clip[..., -1])
    norm = T.normalize(torch.full((3, 1, 2, 2), 0.45))
    assert torch.allclose(norm, torch.zeros_like(norm))


def test_squash_keeps_the_whole_frame_and_jitter_changes_colour_only():
    clip = torch.zeros(3, 6, 40, 80)
    clip[:, :, :, :4] = 1.0  # a bright stripe at the left edge: a centre crop cuts it away
    squashed = T.eval_views(clip, 4, 32, crops=3, fit="squash")
    assert len(squashed) == 1 and squashed[0].shape == (3, 4, 32, 32)
    assert squashed[0][..., 0].mean() > 1.5  # the stripe is there (normalized 1.0 is 2.44)
    cropped = T.eval_views(clip, 4, 32, crops=1)[0]
    assert cropped[..., 0].max() < 0  # the centre crop lost it
    g = torch.Generator().manual_seed(0)
    trained = T.train_transform(clip, 4, 32, g, flip=False, min_crop_area=1.0, fit="squash")
    assert trained.shape == (3, 4, 32, 32) and trained[..., 0].mean() > 0
    colour = torch.rand(3, 5, 16, 16)
    grey = T.color_jitter(colour, 0.0, 1.0, torch.Generator().manual_seed(1))
    assert torch.equal(grey[0], grey[1]) and torch.equal(grey[1], grey[2])
    jittered = T.color_jitter(colour, 0.4, 0.0, torch.Generator().manual_seed(1))
    assert jittered.shape == colour.shape and 0 <= jittered.min() and jittered.max() <= 1
    assert not torch.equal(jittered, colour)
    # One change for the whole clip: frames that were equal stay equal.
    still = colour[:, :1].expand(-1, 5, -1, -1)
    out = T.color_jitter(still, 0.4, 0.0, torch.Generator().manual_seed(2))
    assert all(torch.equal(out[:, 0], out[:, t]) for t in range(5))
    assert torch.equal(T.color_jitter(colour, 0.0, 0.0, g), colour)


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_builds_for_any_class_count(name):
    frames = 4
    model = build_model(name, 7, frames, 64).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, frames, 64, 64))
    assert out.shape == (1, 7)
    assert classifier(model).out_features == 7
    assert name in DEFAULT_INPUT


def test_bad_model_requests_are_clear():
    with pytest.raises(ModelError, match="unknown model 'resnet9000'"):
        build_model("resnet9000", 3, 8, 64)
    with pytest.raises(ModelError, match="crop size 50 must be a multiple of 32"):
        build_model("small", 3, 8, 50)


def test_freeze_backbone_leaves_only_the_head():
    model = build_model("small", 3, 4, 32)
    trainable = freeze_backbone(model)
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert names == ["blocks.5.proj.weight", "blocks.5.proj.bias"] and len(trainable) == 2
