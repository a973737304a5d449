"""config.torch_compile: modes, the real inductor path on PPO CartPole (no recompiles after the
warm-up epochs, checkpoints interchangeable with eager runs), SAC networks, the warn-once eager
fallbacks, and the CUDA-graph policy step (CUDA only)."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from conftest import REPO

from rl_games.builders import ALGORITHMS
from rl_games.runner import Runner, seed_everything
from rl_games.training import compile as C
from rl_games.training.checkpoint import save_checkpoint

CARTPOLE = REPO / "configs" / "ppo_cartpole.yaml"
SAC_PENDULUM = REPO / "configs" / "sac_pendulum.yaml"
NO_CUDA = not torch.cuda.is_available()


def _runner(cfg: Path, tmp_path: Path, *sets: str) -> Runner:
    runner = Runner()
    runner.load(
        yaml.safe_load(cfg.read_text()),
        [
            f"config.train_dir={tmp_path}",
            "config.full_experiment_name=run",
            "config.score_to_win=1e9",
            "config.max_frames=-1",
            "config.print_stats=False",
            *sets,
        ],
    )
    return runner


def _agent(runner: Runner) -> Any:
    params = runner.params
    seed_everything(int(params.seed or 0))
    return ALGORITHMS.get(params.algo.name)(base_name="run", params=params)


def _dynamo_counts() -> tuple[int, int, int]:
    from torch._dynamo.utils import counters

    return (
        int(counters["frames"]["total"]),
        int(counters["stats"]["unique_graphs"]),
        int(sum(counters["graph_break"].values())),
    )


def _raw_state(path: Path) -> dict[str, Any]:
    return torch.load(path, map_location="cpu", weights_only=False)


def _evaluate(model: torch.nn.Module, obs: torch.Tensor, actions: torch.Tensor) -> dict:
    """The minibatch forward with the input keys the PPO update uses (same guards)."""
    model.train()
    mask = torch.ones(obs.shape[0], device=obs.device)
    out = model.evaluate({"obs": obs, "prev_actions": actions, "mask": mask, "action_masks": None})
    return {k: out[k].detach() for k in ("prev_neglogp", "values", "entropy")}


def _assert_close(a: dict, b: dict) -> None:
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-5)


def test_resolve_modes_accepts_the_rl_games_forms() -> None:
    off = C.CompileModes()
    assert C.resolve_modes(False) == off and C.resolve_modes(None) == off
    assert C.resolve_modes("False") == off
    assert C.resolve_modes(True) == C.CompileModes("default", "default")
    assert C.resolve_modes("max-autotune") == C.CompileModes("max-autotune", "max-autotune")
    assert C.resolve_modes({"mode": "reduce-overhead"}) == C.CompileModes(
        "reduce-overhead", "reduce-overhead"
    )
    assert C.resolve_modes({"mode": "default", "critic_mode": "max-autotune"}) == (
        C.CompileModes("default", "max-autotune")
    )
    assert not off.enabled and C.resolve_modes(True).enabled
    for bad in ("fast", {"mode": "fast"}, {"moed": "default"}, 3):
        with pytest.raises(ValueError):
            C.resolve_modes(bad)


def test_ppo_compiled_no_recompiles_after_warmup_and_checkpoints_interchange(
    tmp_path: Path,
) -> None:
    torch._dynamo.reset()
    runner = _runner(CARTPOLE, tmp_path, "config.torch_compile=True", "config.max_epochs=7")
    counts: list[tuple[int, int, int]] = []

    def per_epoch(agent: Any) -> bool:
        counts.append(_dynamo_counts())
        return False

    runner.run({"train": True, "stop_fn": per_epoch})
    compiled = runner.agent
    assert len(counts) >= 6
    assert counts[1][0] >= 2, "act and evaluate were not compiled"
    assert counts[1] == counts[-1], f"recompiles/graph breaks after epoch 2: {counts}"
    assert counts[-1][2] == 0, "graph breaks in act/evaluate"
    assert C.is_compiled(compiled.model, "act") and C.is_compiled(compiled.model, "evaluate")

    # compiled -> eager: same state_dict keys, no _orig_mod. prefix, same outputs
    ckpt = next((tmp_path / "run" / "nn").glob("last_*.pth"))
    eager = _agent(runner)
    saved = _raw_state(ckpt)["model"]
    assert set(saved) == set(eager.model.state_dict())
    assert not any("_orig_mod" in key for key in saved)
    eager.restore(ckpt)
    obs = torch.randn(compiled.minibatch_size, 4)
    actions = torch.randint(0, 2, (compiled.minibatch_size,))
    _assert_close(_evaluate(compiled.model, obs, actions), _evaluate(eager.model, obs, actions))

    # eager -> compiled
    with torch.no_grad():
        for p in eager.model.parameters():
            p.add_(0.01)
    eager_ckpt = save_checkpoint(tmp_path / "eager.pth", eager.get_full_state_weights())
    compiled.restore(eager_ckpt)
    _assert_close(_evaluate(compiled.model, obs, actions), _evaluate(eager.model, obs, actions))
    assert _dynamo_counts() == counts[-1]
    assert C.is_compiled(compiled.model, "evaluate")
    eager.env.close()
    compiled.env.close()


def test_sac_networks_compile_once_and_keep_checkpoint_keys(tmp_path: Path) -> None:
    """The SAC path through dynamo with a counting backend (graph capture and guards are the
    backend-independent part; inductor itself is exercised by the PPO test)."""
    torch._dynamo.reset()
    graphs: list[torch.fx.GraphModule] = []

    def counting_backend(gm: torch.fx.GraphModule, example_inputs: list) -> Any:
        graphs.append(gm)
        return gm.forward

    runner = _runner(SAC_PENDULUM, tmp_path, "config.num_warmup_frames=128", "config.max_epochs=60")
    agent = _agent(runner)
    agent.apply_torch_compile(True, backend=counting_backend)
    net = agent.model.sac_network
    assert all(C.is_compiled(m, "forward") for m in (net.actor, net.critic, net.critic_target))
    per_epoch: list[int] = []
    agent.stop_fn = lambda a: per_epoch.append(len(graphs)) or False
    agent.train()
    assert agent.num_updates > 100
    warm = agent.warmup_epochs + 3
    assert per_epoch[warm] > 0 and per_epoch[warm] == per_epoch[-1], per_epoch
    assert all(C.is_compiled(m, "forward") for m in (net.actor, net.critic, net.critic_target))

    state = agent.get_full_state_weights()
    eager = _agent(runner)
    for key in ("actor", "critic", "critic_target"):
        assert set(state[key]) == set(getattr(eager.model, key).state_dict())
        assert not any("_orig_mod" in k for k in state[key])
    eager.set_full_state_weights(state)
    obs = torch.randn(16, net.obs_dim)
    mu_c, ls_c = agent.model.actor(obs)
    mu_e, ls_e = eager.model.actor(obs)
    torch.testing.assert_close((mu_c, ls_c), (mu_e, ls_e))
    agent.env.close()
    eager.env.close()


def test_no_cpp_compiler_warns_once_and_runs_eager(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import torch._inductor.config as inductor_config

    C.reset_warnings()
    runner = _runner(CARTPOLE, tmp_path)
    agent = _agent(runner)
    with inductor_config.patch({"cpp.cxx": ("/nonexistent/bin/c++",)}):
        reason = C.unavailable_reason("cpu")
        assert reason is not None and "C++ compiler" in reason
        with caplog.at_level(logging.WARNING, logger="rl_games.training.compile"):
            for _ in range(2):
                modes = agent.apply_torch_compile("default")
                assert not modes.enabled
    warnings = [r for r in caplog.records if "torch_compile" in r.getMessage()]
    assert len(warnings) == 1 and "running eagerly" in warnings[0].getMessage()
    assert not C.is_compiled(agent.model, "act")
    assert "act" not in vars(agent.model)
    agent.env.close()


def test_backend_failure_at_first_call_falls_back_to_eager_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    C.reset_warnings()
    torch._dynamo.reset()
    calls: Counter[str] = Counter()

    def broken_backend(gm: torch.fx.GraphModule, example_inputs: list) -> Any:
        calls["compile"] += 1
        raise RuntimeError("this backend cannot compile anything")

    agent = _agent(_runner(CARTPOLE, tmp_path))
    model = agent.model
    obs, actions = torch.randn(8, 4), torch.randint(0, 2, (8,))
    expected = _evaluate(model, obs, actions)
    C.compile_methods(model, C.hot_methods(model), "default", backend=broken_backend)
    with caplog.at_level(logging.WARNING, logger="rl_games.training.compile"):
        for _ in range(3):
            _assert_close(_evaluate(model, obs, actions), expected)
    warnings = [r for r in caplog.records if "running it eagerly" in r.getMessage()]
    assert len(warnings) == 1 and "evaluate" in warnings[0].getMessage()
    assert calls["compile"] >= 1
    assert not C.is_compiled(model, "evaluate")
    C.uncompile(model)
    assert "evaluate" not in vars(model) and "act" not in vars(model)
    agent.env.close()


@pytest.mark.gpu
@pytest.mark.skipif(NO_CUDA, reason="needs CUDA")
def test_cuda_graph_policy_step_matches_eager(tmp_path: Path) -> None:
    """reduce-overhead = CUDA graphs: act/evaluate outputs are copies (the next replay must not
    overwrite what the rollout stored) and match the eager model."""
    torch._dynamo.reset()
    runner = _runner(CARTPOLE, tmp_path, "config.device=cuda")
    agent, eager = _agent(runner), _agent(runner)
    eager.model.load_state_dict(agent.model.state_dict())
    agent.apply_torch_compile("reduce-overhead")
    assert C.is_compiled(agent.model, "act")
    obs = torch.randn(agent.num_envs, 4, device="cuda")
    agent.model.eval()
    with torch.inference_mode():
        first = agent.model.act({"obs": obs, "action_masks": None})
        kept = first["values"]
        for _ in range(4):
            again = agent.model.act({"obs": obs, "action_masks": None})
        torch.testing.assert_close(kept, again["values"])
        assert kept.data_ptr() != again["values"].data_ptr()
        eager.model.eval()
        ref = eager.model.act({"obs": obs, "action_masks": None})
        torch.testing.assert_close(again["values"], ref["values"], rtol=1e-4, atol=1e-4)
    mb_obs = torch.randn(agent.minibatch_size, 4, device="cuda")
    acts = torch.randint(0, 2, (agent.minibatch_size,), device="cuda")
    for _ in range(3):
        out = agent.model.evaluate({"obs": mb_obs, "prev_actions": acts})
        out["values"].sum().backward()
    _assert_close(_evaluate(agent.model, mb_obs, acts), _evaluate(eager.model, mb_obs, acts))
    agent.env.close()
    eager.env.close()


@pytest.mark.gpu
@pytest.mark.skipif(NO_CUDA, reason="needs CUDA")
def test_cuda_ppo_trains_compiled_without_recompiles(tmp_path: Path) -> None:
    torch._dynamo.reset()
    runner = _runner(
        CARTPOLE, tmp_path, "config.device=cuda", "config.torch_compile=True", "config.max_epochs=5"
    )
    counts: list[tuple[int, int, int]] = []
    runner.run({"train": True, "stop_fn": lambda a: counts.append(_dynamo_counts()) or False})
    assert counts[1] == counts[-1], counts
    assert C.is_compiled(runner.agent.model, "act")
    runner.agent.env.close()


def test_envpool_async_batch_size_is_refused_with_a_reason() -> None:
    from rl_games.envs.envpool_env import EnvpoolVecEnv

    with pytest.raises(NotImplementedError, match="asynchronous mode is not supported"):
        EnvpoolVecEnv("envpool", 8, env_name="CartPole-v1", batch_size=4)
    env = EnvpoolVecEnv("envpool", 8, env_name="CartPole-v1", batch_size=8)  # sync: accepted
    assert env.num_envs == 8
    env.close()


@pytest.mark.gpu
@pytest.mark.skipif(NO_CUDA, reason="needs CUDA")
def test_cuda_actions_reach_cpu_envs_in_one_pinned_copy() -> None:
    from rl_games.envs import TorchVecEnv
    from rl_games.envs.envpool_env import EnvpoolVecEnv

    env = TorchVecEnv(EnvpoolVecEnv("envpool", 8, env_name="CartPole-v1"), "cuda")
    obs = env.reset()
    assert obs.device.type == "cuda"
    for _ in range(3):
        actions = torch.randint(0, 2, (8,), device="cuda")
        obs, rewards, dones, time_outs, _ = env.step(actions)
    assert env._pinned is not None and env._pinned.is_pinned()
    assert obs.device.type == rewards.device.type == dones.device.type == "cuda"
    env.close()
