"""Tests for rl_games.networks.normalization."""

from __future__ import annotations

import numpy as np
import torch

from rl_games.networks.normalization import RunningMeanStd, RunningMeanStdObs, merge_moments

EPS = 1e-5


def _reference_stats(data: np.ndarray, axis: tuple[int, ...] = (0,)) -> tuple[np.ndarray, ...]:
    """Expected stats after merging ``data`` into the prior (mean 0, var 1, count 1).

    Chan's merge is exact, so the result equals pooling the data with a pseudo group of
    count 1, mean 0 and M2 = 1:  mean = sum(x) / (N + 1),
    var = (1 + (0 - mean)^2 + sum((x - mean)^2)) / (N + 1)  (population variance).
    ``N`` counts rows (axis 0) -- per-channel stats average spatial dims but count rows.
    """
    rows = data.shape[0]
    n_elem = int(np.prod([data.shape[a] for a in axis]))
    data_mean = data.mean(axis=axis)
    data_m2 = ((data - np.expand_dims(data_mean, axis)) ** 2).sum(axis=axis) / n_elem * rows
    total = rows + 1
    mean = data_mean * rows / total
    m2 = 1.0 + data_m2 + rows * 1.0 / total * data_mean**2
    return mean, m2 / total, np.float64(total)


def test_state_dict_keys_and_dtypes() -> None:
    rms = RunningMeanStd((3,))
    sd = rms.state_dict()
    assert list(sd.keys()) == ["running_mean", "running_var", "count"]
    assert sd["running_mean"].dtype == torch.float64
    assert sd["running_var"].dtype == torch.float64
    assert sd["count"].dtype == torch.float64 and sd["count"].shape == ()
    assert float(sd["count"]) == 1.0


def test_stats_match_numpy_over_batches() -> None:
    rng = np.random.default_rng(0)
    batches = [rng.normal(2.0, 3.0, size=(n, 3)) for n in (7, 13, 4)]
    rms = RunningMeanStd((3,)).train()
    for b in batches:
        rms(torch.from_numpy(b))
    # merging batch by batch must equal pooling them all with the prior pseudo-sample
    mean, var, count = _reference_stats(np.concatenate(batches))
    np.testing.assert_allclose(rms.running_mean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(rms.running_var.numpy(), var, rtol=1e-12)
    assert float(rms.count) == count == 25.0


def test_float32_input_updates_in_float64() -> None:
    x = torch.tensor([[1.0], [3.0]])
    rms = RunningMeanStd((1,)).train()
    y = rms(x)
    # bm = 2, bvar = 1 (population), tot = 3: mean = 2*2/3, M2 = 1 + 2 + 4*1*2/3
    torch.testing.assert_close(rms.running_mean, torch.tensor([4.0 / 3.0], dtype=torch.float64))
    torch.testing.assert_close(rms.running_var, torch.tensor([(3.0 + 8.0 / 3.0) / 3.0]).double())
    assert y.dtype == torch.float32


def test_merge_moments_hand_numbers() -> None:
    mean, var, count = merge_moments(
        torch.tensor(0.0),
        torch.tensor(1.0),
        torch.tensor(1.0),
        torch.tensor(3.0),
        torch.tensor(0.0),
        2.0,
    )
    # delta = 3, tot = 3, mean = 2, M2 = 1 + 0 + 9*2/3 = 7, var = 7/3
    torch.testing.assert_close(mean, torch.tensor(2.0))
    torch.testing.assert_close(var, torch.tensor(7.0 / 3.0))
    torch.testing.assert_close(count, torch.tensor(3.0))


def test_mask_excludes_rows() -> None:
    rng = np.random.default_rng(1)
    x = torch.from_numpy(rng.normal(size=(10, 2)))
    mask = torch.tensor([1, 0, 1, 1, 0, 0, 1, 1, 1, 0], dtype=torch.bool)
    x_poisoned = x.clone()
    x_poisoned[~mask] = float("nan")
    masked = RunningMeanStd((2,)).train()
    masked(x_poisoned, mask=mask)
    ref = RunningMeanStd((2,)).train()
    ref(x[mask])
    torch.testing.assert_close(masked.running_mean, ref.running_mean)
    torch.testing.assert_close(masked.running_var, ref.running_var)
    torch.testing.assert_close(masked.count, ref.count)


def test_empty_mask_is_noop() -> None:
    rms = RunningMeanStd((2,)).train()
    rms(torch.randn(5, 2, dtype=torch.float64), mask=torch.zeros(5))
    assert torch.equal(rms.running_mean, torch.zeros(2, dtype=torch.float64))
    assert torch.equal(rms.running_var, torch.ones(2, dtype=torch.float64))
    assert float(rms.count) == 1.0


def test_eval_mode_and_denorm_do_not_update() -> None:
    rms = RunningMeanStd((2,))
    x = torch.randn(6, 2) + 5.0
    rms.eval()
    rms(x)
    rms.train()
    rms(x, denorm=True)
    assert float(rms.count) == 1.0
    assert torch.equal(rms.running_mean, torch.zeros(2, dtype=torch.float64))


def test_normalize_denormalize_round_trip() -> None:
    rms = RunningMeanStd((3,)).train()
    rms(torch.randn(200, 3, dtype=torch.float64) * 2.0 + 1.0)
    rms.eval()
    std = torch.sqrt(rms.running_var + EPS)
    # inside +-5 std: exact round trip
    x = rms.running_mean + std * torch.tensor([[-4.0, 0.0, 3.0], [1.0, -2.5, 4.9]]).double()
    y = rms(x)
    torch.testing.assert_close(y, (x - rms.running_mean) / std)
    torch.testing.assert_close(rms(y, denorm=True), x)
    # outside: normalized output is clamped to +-5, so the round trip saturates
    far = rms.running_mean + std * torch.tensor([[9.0, -7.0, 0.0]]).double()
    back = rms(rms(far), denorm=True)
    torch.testing.assert_close(
        back, rms.running_mean + std * torch.tensor([[5.0, -5.0, 0.0]]).double()
    )


def test_denorm_clamps_input() -> None:
    rms = RunningMeanStd((1,))
    out = rms(torch.tensor([[10.0]]), denorm=True)
    torch.testing.assert_close(out, torch.tensor([[5.0 * (1.0 + EPS) ** 0.5]]))


def test_norm_only_divides_without_centering() -> None:
    rms = RunningMeanStd((1,), norm_only=True)
    rms.running_mean.fill_(3.0)
    rms.running_var.fill_(4.0)
    rms.eval()
    out = rms(torch.tensor([[2.0]]))
    torch.testing.assert_close(out, torch.tensor([[2.0 / (4.0 + EPS) ** 0.5]]))


def test_output_dtype_and_gradient() -> None:
    rms = RunningMeanStd((2,)).train()
    x = torch.randn(4, 2, requires_grad=True)
    y = rms(x)
    assert y.dtype == torch.float32
    y.sum().backward()
    assert x.grad is not None
    assert rms(torch.randn(4, 2).bfloat16()).dtype == torch.bfloat16


def test_load_int64_count() -> None:
    """rl_games 2.0 stores count as int64; 1.6.x as float64. Both load into float64 ()."""
    for count in (torch.tensor(7, dtype=torch.int64), torch.tensor([7.0], dtype=torch.float64)):
        rms = RunningMeanStd((2,))
        state = {
            "running_mean": torch.tensor([1.0, 2.0], dtype=torch.float64),
            "running_var": torch.tensor([3.0, 4.0], dtype=torch.float64),
            "count": count,
        }
        rms.load_state_dict(state)
        assert rms.count.dtype == torch.float64 and rms.count.shape == ()
        assert float(rms.count) == 7.0
        assert torch.equal(rms.running_var, state["running_var"])


def test_per_channel_stats() -> None:
    rng = np.random.default_rng(2)
    data = rng.normal(1.0, 2.0, size=(6, 3, 4, 5))
    rms = RunningMeanStd((3, 4, 5), per_channel=True).train()
    y = rms(torch.from_numpy(data))
    mean, var, count = _reference_stats(data, axis=(0, 2, 3))
    assert rms.running_mean.shape == (3,)
    np.testing.assert_allclose(rms.running_mean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(rms.running_var.numpy(), var, rtol=1e-12)
    assert float(rms.count) == count == 7.0
    expected = (data - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + EPS)
    np.testing.assert_allclose(y.numpy(), np.clip(expected, -5, 5), rtol=1e-12)


def test_masked_float32_images_match_float64_reference() -> None:
    """Image batches (the large case) are reduced in float32 like rl_games, per pixel and per
    channel, with masked rows excluded even when they hold NaN; input is left untouched."""
    rng = np.random.default_rng(3)
    data = rng.integers(0, 256, size=(9, 2, 3, 4)).astype(np.float32) / 255.0
    mask = np.array([1, 1, 0, 1, 0, 1, 1, 1, 1], dtype=bool)
    x = torch.from_numpy(data.copy())
    x[torch.from_numpy(~mask)] = float("nan")
    before = x.clone()
    for per_channel, axis in ((False, (0,)), (True, (0, 2, 3))):
        rms = RunningMeanStd((2, 3, 4), per_channel=per_channel).train()
        y = rms(x, mask=torch.from_numpy(mask))
        mean, var, count = _reference_stats(data[mask].astype(np.float64), axis=axis)
        np.testing.assert_allclose(rms.running_mean.numpy(), mean, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(rms.running_var.numpy(), var, rtol=1e-6)
        assert float(rms.count) == count == 8.0
        assert y.dtype == torch.float32 and bool(torch.isfinite(y[torch.from_numpy(mask)]).all())
        torch.testing.assert_close(x, before, equal_nan=True)


def test_dict_observations() -> None:
    rms = RunningMeanStdObs({"obs": (3,), "states": (2,)}).train()
    out = rms({"obs": torch.randn(8, 3), "states": torch.randn(8, 2)})
    assert set(out) == {"obs", "states"}
    assert out["obs"].shape == (8, 3) and out["states"].shape == (8, 2)
    assert set(rms.state_dict()) == {
        f"running_mean_std.{k}.{b}"
        for k in ("obs", "states")
        for b in ("running_mean", "running_var", "count")
    }
    assert float(rms.running_mean_std["obs"].count) == 9.0


def test_compiled_update_matches_eager() -> None:
    """The 0-dim ``count`` buffer must also be updated inside a compiled graph."""
    torch._dynamo.reset()
    x = torch.randn(8, 3, generator=torch.Generator().manual_seed(6))
    mask = torch.tensor([1, 1, 0, 1, 0, 1, 1, 1], dtype=torch.bool)
    eager = RunningMeanStd((3,)).train()
    compiled_module = RunningMeanStd((3,)).train()
    compiled = torch.compile(compiled_module, fullgraph=True)
    for _ in range(2):
        torch.testing.assert_close(compiled(x, mask=mask), eager(x, mask=mask))
    assert float(compiled_module.count) == float(eager.count) == 13.0
    torch.testing.assert_close(compiled_module.running_var, eager.running_var)
