"""An AMP-style client (tests/compat/amp_like.py) written with IsaacGymEnvs' AMP call patterns
(``A2CBase.__init__`` called directly, its own ``train`` / ``train_epoch`` / ``play_steps`` over
``self.obs['obs']``, ``reset_done``, ``amp_obs`` in the experience buffer and the dataset, a
discriminator loss in ``calc_gradients``) trains on a torch env, resumes and plays."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from amp_like import TRAIN_CONFIG, AMPAgent, AMPPlayerContinuous, register
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from rl_games.algos_torch.a2c_continuous import A2CAgent
from rl_games.torch_runner import Runner
from rl_games.training.checkpoint import load_checkpoint

pytestmark = pytest.mark.usefixtures("one_thread")


def _runner(tmp_path: Path, **config: object) -> Runner:
    params = copy.deepcopy(TRAIN_CONFIG)
    params["config"].update(train_dir=str(tmp_path), full_experiment_name="amp", **config)
    runner = Runner()
    register(runner)
    runner.load({"params": params})
    return runner


def _disc_weights(agent: A2CAgent) -> dict[str, torch.Tensor]:
    net = agent.model.a2c_network
    return {k: v.clone() for k, v in net.state_dict().items() if k.startswith("_disc")}


def _scalars(run_dir: Path, tag: str) -> list[float]:
    events = EventAccumulator(str(run_dir / "summaries"))
    events.Reload()
    return [e.value for e in events.Scalars(tag)]


def test_amp_style_agent_trains_resumes_and_plays(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    fresh = AMPAgent(base_name="probe", params=runner.params)  # rl_games' keyword call
    before = _disc_weights(fresh)
    runner.run({"train": True})
    agent = runner.agent
    assert type(agent) is AMPAgent and isinstance(agent, A2CAgent)
    assert isinstance(agent.obs, dict) and agent.obs["obs"].shape == (16, 2)
    assert agent.game_rewards.current_size > 0  # games recorded through game_rewards.update
    # the discriminator is the model's, trained by the one optimizer inside calc_gradients
    after = _disc_weights(agent)
    assert before.keys() == after.keys() and len(after) == 4
    assert all(not torch.equal(before[k], after[k]) for k in after)
    assert agent.disc_updates == 4 * 2 * (16 * 32 // 256)  # epochs * mini_epochs * minibatches
    # amp_obs went through the experience buffer into the dataset
    amp = agent.experience_buffer.tensor_dict["amp_obs"]
    assert amp.shape == (32, 16, 4) and amp.abs().sum() > 0
    # env 0's transitions (rows 0..31, env-major) end in the next obs, but for the reset at 31
    next_obs = agent.experience_buffer.tensor_dict["next_obses"][:31, 0]
    torch.testing.assert_close(agent.dataset.values_dict["amp_obs"][:31, 2:], next_obs)
    disc_losses = _scalars(tmp_path / "amp", "losses/disc_loss")
    assert len(disc_losses) == 4 and disc_losses[-1] < disc_losses[0]
    assert agent.last_lr == pytest.approx(3e-3)  # update_lr(lr) after the scheduler step
    assert len(_scalars(tmp_path / "amp", "losses/a_loss")) == 4

    path = agent.last_checkpoint
    state = load_checkpoint(path)
    assert state["disc_updates"] == agent.disc_updates
    assert "amp_input_mean_std" in state and "disc_logits.weight" in str(list(state["model"]))

    resumed = _runner(tmp_path / "resumed", max_epochs=5)
    resumed.run({"train": True, "checkpoint": str(path)})
    again = resumed.agent
    assert again.epoch_num == 5
    assert again.disc_updates == agent.disc_updates + 2 * (16 * 32 // 256)
    rms = again._amp_input_mean_std
    assert int(rms.count) > int(agent._amp_input_mean_std.count)  # continued, not restarted

    player = _runner(tmp_path / "play")
    result = player.run({"play": True, "checkpoint": str(path)})
    assert isinstance(player.create_player(), AMPPlayerContinuous)
    assert result is not None
