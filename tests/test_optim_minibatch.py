"""run(..., batch_size=B): SGD's noise from real minibatches, reproducible from the seed.

The data surfaces (surfaces with ``n_data > 0``) provide ``grad(xy, rows)``;
a tiny stand-in surface here checks the sampling itself (which rows, in
which order), the registered data surfaces check the paths.
"""

import numpy as np
import pytest

import optimizers
import surfaces

DATA = [n for n in surfaces.names() if surfaces.get(n).n_data > 0]


class Cloud:
    """f(θ) = mean over rows of ½|θ − d_i|²: its minibatch gradient is θ − mean(d over the rows)."""

    name, x_range, y_range = "cloud", (-3.0, 3.0), (-3.0, 3.0)

    def __init__(self, n_data, seed=0):
        self.n_data = n_data
        self.d = np.random.default_rng(seed).normal(size=(n_data, 2))
        self.seen = []

    def value(self, xy):
        xy = np.asarray(xy, float)
        return 0.5 * ((xy[..., None, :] - self.d) ** 2).sum(-1).mean(-1)

    def grad(self, xy, rows=None):
        self.seen.append(None if rows is None else np.array(rows))
        d = self.d if rows is None else self.d[rows]
        return np.asarray(xy, float) - d.mean(axis=0)


def test_the_rows_each_step_sees():
    cloud = Cloud(10)
    optimizers.run(optimizers.get("sgd", lr=0.1), cloud, (1.0, 1.0), 9, batch_size=4, seed=5)
    rng = np.random.default_rng(5)
    expected = []
    while len(expected) < 9:
        order = rng.permutation(10)
        expected += [np.sort(order[i:i + 4]) for i in (0, 4, 8)]  # 4, 4 and the last 2
    assert [len(r) for r in cloud.seen] == [4, 4, 2, 4, 4, 2, 4, 4, 2]
    for seen, want in zip(cloud.seen, expected):
        assert np.array_equal(seen, want)
    for epoch in range(3):  # without replacement: each epoch covers every row once
        rows = np.concatenate(cloud.seen[3 * epoch: 3 * epoch + 3])
        assert sorted(rows.tolist()) == list(range(10))


@pytest.mark.parametrize("surface", DATA)
@pytest.mark.parametrize("batch_size", [1, 4, 12])
def test_minibatch_gradients_average_to_the_full_gradient(surface, batch_size):
    s = surfaces.get(surface)
    n = s.n_data
    if n % batch_size:
        pytest.skip(f"{batch_size} does not divide {n}")
    # lr = 0: the points stay put, so each epoch's minibatch gradients are all at the same points.
    starts = np.array([s.start, (0.5, 0.5), (-1.0, 2.0)])
    tr = optimizers.run(optimizers.get("sgd", lr=0.0), s, starts, 2 * n // batch_size,
                        batch_size=batch_size, seed=1, record=True)
    full = s.grad(starts)
    for epoch in tr.grads.reshape(2, n // batch_size, 3, 2):
        np.testing.assert_allclose(epoch.mean(axis=0), full, rtol=1e-12, atol=1e-12)
        assert not np.allclose(epoch[0], full)  # a single minibatch is noisy


@pytest.mark.parametrize("surface", DATA)
@pytest.mark.parametrize("name", optimizers.names())
def test_a_full_size_batch_is_the_full_batch_path(surface, name):
    s = surfaces.get(surface)
    opt = optimizers.get(name, lr=1.0 if name == "adadelta" else 0.01)
    full = optimizers.run(opt, s, s.start, 60)
    same = optimizers.run(opt, s, s.start, 60, batch_size=s.n_data, seed=9)
    assert np.array_equal(full.points, same.points, equal_nan=True)


@pytest.mark.parametrize("surface", DATA)
def test_reproducible_from_the_seed_and_shared_by_the_batch(surface):
    s = surfaces.get(surface)
    opt = optimizers.get("adam", lr=0.05)
    starts = np.array([s.start, (0.3, -0.2)])
    a = optimizers.run(opt, s, starts, 50, batch_size=5, seed=3)
    b = optimizers.run(opt, s, starts, 50, batch_size=5, seed=3)
    c = optimizers.run(opt, s, starts, 50, batch_size=5, seed=4)
    assert np.array_equal(a.points, b.points) and not np.allclose(a.points, c.points)
    for i, start in enumerate(starts):  # every path sees the same minibatches
        one = optimizers.run(opt, s, start, 50, batch_size=5, seed=3)
        assert np.array_equal(one.points, a.points[:, i])
    full = optimizers.run(opt, s, starts, 50)
    assert not np.allclose(a.points, full.points)
    # Noise on top draws from its own generator: the minibatch order stays the same.
    cloud = Cloud(10)
    optimizers.run(opt, cloud, (0, 0), 6, batch_size=3, seed=2)
    plain = cloud.seen[:]
    cloud.seen.clear()
    optimizers.run(opt, cloud, (0, 0), 6, batch_size=3, seed=2, noise=0.5)
    assert all(np.array_equal(x, y) for x, y in zip(plain, cloud.seen))


@pytest.mark.parametrize("surface", DATA)
@pytest.mark.parametrize("noise", [0.0, 0.4])
def test_a_seed_per_path_is_each_seed_alone_bit_for_bit(surface, noise):
    """A noise cloud of minibatch orders in one batch: path i is the run with seed[i] alone."""
    s = surfaces.get(surface)
    opt = optimizers.get("momentum", lr=0.05, momentum=0.9)
    seeds = [7, 3, 11, 0]
    batch = optimizers.run(opt, s, np.tile(s.start, (4, 1)), 120, noise=noise, seed=seeds, batch_size=5)
    for i, seed in enumerate(seeds):
        one = optimizers.run(opt, s, s.start, 120, noise=noise, seed=seed, batch_size=5)
        assert np.array_equal(batch.points[:, i], one.points, equal_nan=True), seed
        assert np.array_equal(batch.losses[:, i], one.losses, equal_nan=True)
    assert not np.allclose(batch.points[:, 0], batch.points[:, 1])


def test_a_seed_per_path_survives_paths_that_leave():
    """Paths that blow up are dropped mid-run; the others keep their own minibatches."""
    s = surfaces.get(DATA[0])
    opt = optimizers.get("sgd", lr=np.array([0.01, 5.0, 0.02]))  # the middle one blows up
    tr = optimizers.run(opt, s, s.start, 60, seed=[1, 2, 3], batch_size=4)
    assert tr.diverged_at[1] > 0 and tr.diverged_at[0] == tr.diverged_at[2] == -1
    for i, (lr, seed) in enumerate([(0.01, 1), (0.02, 3)]):
        one = optimizers.run(optimizers.get("sgd", lr=lr), s, s.start, 60, seed=seed, batch_size=4)
        assert np.array_equal(tr.points[:, 2 * i], one.points)


@pytest.mark.parametrize("seed, error, message", [
    ([1, 2], ValueError, "Invalid seed: 2 seeds for a batch shaped (3,)"),
    ([1, 2, -1], ValueError, "Invalid seed: -1 in the seed sequence"),
    ([1, 2, 2.5], ValueError, "Invalid seed: 2.5 in the seed sequence"),
    ([1, True, 2], ValueError, "Invalid seed: True in the seed sequence"),
    ("3", TypeError, "Invalid seed: '3'"),
])
def test_bad_seed_sequences(seed, error, message):
    s = surfaces.get(DATA[0])
    with pytest.raises(error) as err:
        optimizers.run(optimizers.get("sgd"), s, np.tile(s.start, (3, 1)), 5, batch_size=4, seed=seed)
    assert str(err.value).startswith(message), str(err.value)


def test_losses_can_be_skipped():
    s = surfaces.get(DATA[0])
    opt = optimizers.get("adam", lr=0.1)
    full = optimizers.run(opt, s, s.start, 30, batch_size=6, seed=2)
    bare = optimizers.run(opt, s, s.start, 30, batch_size=6, seed=2, losses=False)
    assert bare.losses is None and np.array_equal(full.points, bare.points)
    with pytest.raises(TypeError, match="Invalid losses: 'no'"):
        optimizers.run(opt, s, s.start, 3, losses="no")


@pytest.mark.parametrize("surface, batch_size, error, message", [
    ("bowl", 4, ValueError, "batch_size needs a data surface: 'bowl' has no data set (n_data = 0)"),
    ("cloud", 0, ValueError, "Invalid batch_size: 0 (need a whole number from 1 to 10, the size of "
                             "'cloud''s data set)"),
    ("cloud", 11, ValueError, "Invalid batch_size: 11"),
    ("cloud", -3, ValueError, "Invalid batch_size: -3"),
    ("cloud", 2.5, TypeError, "Invalid batch_size: 2.5"),
    ("cloud", True, TypeError, "Invalid batch_size: True"),
    ("cloud", "4", TypeError, "Invalid batch_size: '4'"),
])
def test_bad_batch_sizes(surface, batch_size, error, message):
    s = Cloud(10) if surface == "cloud" else surfaces.get(surface)
    with pytest.raises(error) as err:
        optimizers.run(optimizers.get("sgd"), s, (1, 1), 5, batch_size=batch_size, seed=0)
    assert str(err.value).startswith(message), str(err.value)


def test_a_minibatch_gradient_costs_its_rows():
    """The work limit counts a data gradient by the rows it averages over."""
    s = Cloud(400)
    cost = optimizers.DATA_GRADIENT_COST + 4 / optimizers.DATA_ROWS_PER_POINT_STEP
    paths = int(optimizers.MAX_POINT_STEPS / 100 / cost) + 1
    with pytest.raises(ValueError, match=rf"× {cost:g} \(a gradient over 4 data rows"):
        optimizers.run(optimizers.get("sgd"), s, np.zeros((paths, 2)), 100, batch_size=4, seed=0)
