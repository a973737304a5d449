"""Brax and MuJoCo Playground (JAX) vecenvs: zero-copy DLPack exchange, time-outs, seeding, and
PPO learning on CPU. Skipped without the ``brax`` extra.

Compiling reset and step costs 6-20 s per function; the tests share JAX's persistent compilation
cache under the repo's ignored ``.cache/jax`` (``JAX_COMPILATION_CACHE_DIR`` overrides it), so a
second run compiles nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
import yaml

pytest.importorskip("brax", reason="the brax extra is not installed: pip install -e '.[brax]'")
pytest.importorskip("mujoco_playground", reason="the brax extra (MuJoCo Playground) is missing")

from rl_games.envs import EnvTensorAdapter, create_vec_env  # noqa: E402
from rl_games.envs.jax_env import JaxVecEnv  # noqa: E402
from rl_games.runner import Runner  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CACHE = os.environ.get("JAX_COMPILATION_CACHE_DIR", str(REPO / ".cache" / "jax"))
NUM_ENVS = 64
# short episodes: the same settings (hence the same compiled functions) in every test below
BRAX = {"env_name": "inverted_pendulum", "backend": "generalized", "episode_length": 200}
PLAYGROUND = {"env_name": "CartpoleBalance", "backend": "jax", "episode_length": 200}


def _env(name: str, seed: int, **cfg: object) -> JaxVecEnv:
    env = create_vec_env(name, NUM_ENVS, seed=seed, compilation_cache_dir=CACHE, **cfg)
    assert isinstance(env, JaxVecEnv)
    return env


@pytest.fixture(scope="module")
def brax_env() -> JaxVecEnv:
    return _env("brax", 0, **BRAX)


def test_outputs_reach_torch_without_a_copy_and_actions_go_back_the_same_way(
    brax_env: JaxVecEnv,
) -> None:
    obs = brax_env.reset()
    assert obs.shape == (NUM_ENVS, 4) and obs.dtype == torch.float32
    # every output of the jitted step becomes a torch view of its JAX buffer
    actions = torch.zeros(NUM_ENVS, 1)
    _, out = brax_env._step_fn(brax_env._state, brax_env._to_jax(actions))
    tensors = brax_env._to_torch(out)
    assert {k: t.data_ptr() for k, t in tensors.items()} == {
        k: a.unsafe_buffer_pointer() for k, a in out.items()
    }
    assert tensors["done"].dtype == torch.bool
    # and actions reach JAX the same way
    assert brax_env._to_jax(actions).unsafe_buffer_pointer() == actions.data_ptr()
    obs, rewards, dones, infos = brax_env.step(actions)
    assert rewards.dtype == torch.float32 and rewards.shape == (NUM_ENVS,)
    assert dones.dtype == torch.bool and infos["time_outs"].dtype == torch.bool
    # the adapter keeps the tensors as they are (tensor mode, same device)
    adapter = EnvTensorAdapter(brax_env, "cpu")
    adapter.reset()
    assert adapter.tensor_mode is True


def test_time_limit_gives_time_outs_and_final_observations(brax_env: JaxVecEnv) -> None:
    obs = first = brax_env.reset().clone()
    for t in range(1, 201):
        # a PD controller on the pole's angle and angular velocity balances every pole
        actions = (2.0 * obs[:, 1] + 0.5 * obs[:, 3]).clamp(-1, 1).unsqueeze(1)
        obs, _, dones, infos = brax_env.step(actions)
        final, time_outs = infos["final_observation"], infos["time_outs"]
        if t < 200:
            assert not bool(dones.any()) and torch.equal(final, obs)
    # step 200 ends every episode by the time limit: a truncation, not a termination
    assert bool(time_outs.all()) and bool(dones.all())
    # same-step auto-reset: obs restarts the episode, final_observation holds its last state
    assert torch.equal(obs, first)
    assert not torch.equal(final, obs)


def test_same_seed_same_numbers_other_seed_other_numbers(brax_env: JaxVecEnv) -> None:
    def rollout(seed: int) -> torch.Tensor:
        brax_env.seed(seed)
        out = [brax_env.reset().clone()]
        for _ in range(5):
            out.append(brax_env.step(torch.full((NUM_ENVS, 1), 0.3))[0].clone())
        return torch.stack(out)

    first, again, other = rollout(5), rollout(5), rollout(6)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    # envs of one batch start from different states
    assert not torch.equal(first[0, 0], first[0, 1])


def test_config_errors_name_the_key() -> None:
    from rl_games.envs.base import EnvCreationError

    with pytest.raises(EnvCreationError, match="backend 'gpu'"):
        create_vec_env("brax", 2, env_name="ant", backend="gpu")
    with pytest.raises(EnvCreationError, match="unknown playground env_config keys"):
        create_vec_env("playground", 2, env_name="CartpoleBalance", episode_len=5)
    with pytest.raises(EnvCreationError, match="not a Brax env"):
        create_vec_env("brax", 2, env_name="inverted_pendulm")


def _train(config: str, tmp_path: Path, env_config: dict, *sets: str) -> Runner:
    doc = yaml.safe_load((REPO / "configs" / config).read_text())
    doc["params"]["config"]["env_config"].update(env_config, compilation_cache_dir=CACHE)
    runner = Runner()
    # a fixed seed: learning runs are deterministic on CPU (with the clock's seed, Playground's
    # 200-step CartpoleBalance reached 150 in 2 of 6 seeds within 120 epochs)
    base = [f"config.train_dir={tmp_path}", "config.save_best_after=0", "seed=1"]
    runner.load(doc, [*base, *sets])
    runner.run({"train": True})
    return runner


def test_ppo_learns_brax_inverted_pendulum(tmp_path: Path) -> None:
    # a random policy keeps the pole up about 6 steps
    sets = ("config.score_to_win=100", "config.max_epochs=60")
    runner = _train("brax_inverted_pendulum.yaml", tmp_path, BRAX, *sets)
    assert runner.agent.env.tensor_mode is True
    assert runner.agent.best_reward >= 100


def test_ppo_learns_playground_cartpole_balance(tmp_path: Path) -> None:
    # a random policy scores about 100 in 200 steps (reward in [0, 1] a step)
    sets = ("config.score_to_win=150", "config.max_epochs=120")
    runner = _train("playground_cartpole_balance.yaml", tmp_path, PLAYGROUND, *sets)
    assert runner.agent.best_reward >= 150
