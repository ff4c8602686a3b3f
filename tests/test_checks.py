import numpy as np
import pytest

from nnfw import checks

torch = pytest.importorskip("torch")


def test_assert_close_accepts_equal_values_of_any_kind():
    checks.assert_close([1.0, 2.0], np.array([1.0, 2.0]))
    checks.assert_close(torch.tensor([1.0, 2.0]), [1.0, 2.0])
    checks.assert_close(3, 3.0)
    checks.assert_close(np.zeros((0, 3)), np.zeros((0, 3)))
    checks.assert_close([np.nan, 1.0], [np.nan, 1.0])


def test_assert_close_message_names_position_and_values():
    with pytest.raises(AssertionError) as info:
        checks.assert_close([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 5.0]], name="softmax(x)")
    message = str(info.value)
    assert message.startswith("softmax(x) differs from the expected value at 1 of 4 positions")
    assert "first at [1, 1]: got 4.0, expected 5.0" in message
    assert "largest difference 1" in message


def test_assert_close_tolerances():
    checks.assert_close([1.0 + 1e-7], [1.0])
    checks.assert_close([1.1], [1.0], atol=0.2)
    with pytest.raises(AssertionError):
        checks.assert_close([1.1], [1.0], atol=0.05)
    with pytest.raises(ValueError, match="tolerances must be non-negative"):
        checks.assert_close([1.0], [1.0], rtol=-1)


def test_assert_close_does_not_broadcast():
    with pytest.raises(AssertionError, match=r"has shape \(3,\), expected shape \(1, 3\)"):
        checks.assert_close([1, 2, 3], [[1, 2, 3]])


def test_assert_close_dtype():
    checks.assert_close(np.float32([1]), np.float64([1]))
    with pytest.raises(AssertionError, match="has dtype float64, expected dtype float32"):
        checks.assert_close(np.float64([1]), np.float32([1]), check_dtype=True)


def test_assert_close_nan_where_a_number_is_expected():
    with pytest.raises(AssertionError, match=r"got nan, expected 1\.0"):
        checks.assert_close([np.nan], [1.0])


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


@pytest.mark.parametrize("bad", [None, "1.0", AlwaysEqual(), [AlwaysEqual()], {"a": 1}])
def test_assert_close_rejects_non_numbers(bad):
    with pytest.raises(AssertionError, match=r"must be numeric|could not be read"):
        checks.assert_close(bad, [1.0])


def test_as_numpy_handles_bfloat16_and_keeps_dtype():
    assert checks.as_numpy(torch.ones(2, dtype=torch.bfloat16)).dtype == np.float32
    assert checks.as_numpy(torch.ones(2, dtype=torch.int64)).dtype == np.int64


def test_count_params_torch():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    assert checks.count_params(model) == 3 * 4 + 4 + 4 * 2 + 2
    model[0].weight.requires_grad_(False)
    assert checks.count_params(model, trainable_only=True) == 4 + 4 * 2 + 2


@pytest.mark.parametrize("bad", [object(), np.zeros(3), "model"])
def test_count_params_rejects_non_models(bad):
    with pytest.raises(TypeError, match="expected a PyTorch module"):
        checks.count_params(bad)


def test_accuracy_torch_multiclass_and_one_hot():
    model = torch.nn.Linear(2, 3, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]))
    X = np.array([[2.0, 0.0], [0.0, 2.0], [-1.0, -1.0], [3.0, 0.0]], dtype=np.float32)
    y = np.array([0, 1, 2, 1])
    assert checks.accuracy(model, X, y) == 0.75
    assert checks.accuracy(model, X, np.eye(3)[y]) == 0.75
    assert model.training, "accuracy() must restore training mode"


def test_accuracy_binary_logits_and_probabilities():
    logits = torch.nn.Linear(1, 1)
    with torch.no_grad():
        logits.weight.fill_(1.0)
        logits.bias.fill_(0.0)
    X = np.array([[-2.0], [-0.5], [0.5], [2.0]], dtype=np.float32)
    y = np.array([0, 0, 1, 1])
    assert checks.accuracy(logits, X, y, batch_size=3) == 1.0  # logits: threshold 0
    probs = torch.nn.Sequential(logits, torch.nn.Sigmoid())
    assert checks.accuracy(probs, X.astype(np.float64), y) == 1.0  # probabilities: threshold 0.5


def test_accuracy_binary_output_can_be_named():
    # logits that all lie in [0, 1]: "auto" reads them as probabilities and gets it wrong
    logits = torch.nn.Linear(1, 1)
    with torch.no_grad():
        logits.weight.fill_(0.2)
        logits.bias.fill_(0.4)
    X = np.array([[-1.5], [-1.0], [1.0], [2.0]], dtype=np.float32)  # logits 0.1, 0.2, 0.6, 0.8
    y = np.array([1, 1, 1, 1])  # every logit is above 0: class 1 everywhere
    assert checks.accuracy(logits, X, y) == 0.5
    assert checks.accuracy(logits, X, y, output="logits") == 1.0
    assert checks.accuracy(logits, X, y, output="probabilities") == 0.5
    with pytest.raises(ValueError, match="output must be 'auto', 'logits' or 'probabilities'"):
        checks.accuracy(logits, X, y, output="softmax")


def test_accuracy_bad_input():
    model = torch.nn.Linear(2, 2)
    with pytest.raises(ValueError, match="X has 3 samples but y has 2 labels"):
        checks.accuracy(model, np.zeros((3, 2)), [0, 1])
    with pytest.raises(ValueError, match="at least one sample"):
        checks.predict(model, np.zeros((0, 2)))
    with pytest.raises(ValueError, match="batch_size must be positive"):
        checks.predict(model, np.zeros((1, 2)), batch_size=0)

    class Images(torch.nn.Module):
        def forward(self, x):
            return x.reshape(len(x), 1, 1, -1)

    with pytest.raises(ValueError, match="expected \\(n,\\) or \\(n, classes\\)"):
        checks.accuracy(Images(), np.zeros((2, 2)), [0, 1])


def test_predict_handles_parameterless_module():
    assert checks.predict(torch.nn.Identity(), np.ones((2, 3))).shape == (2, 3)


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


@pytest.mark.tensorflow
class TestKeras:
    def test_count_params_and_accuracy(self, keras):
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, use_bias=False)])
        assert checks.count_params(model) == 6
        model.layers[0].set_weights([np.array([[1.0, 0.0, -1.0], [0.0, 1.0, -1.0]], np.float32)])
        X = np.array([[2.0, 0.0], [0.0, 2.0], [-1.0, -1.0]], np.float32)
        assert checks.accuracy(model, X, [0, 1, 2]) == 1.0
        assert checks.accuracy(model, X, [0, 1, 1]) == pytest.approx(2 / 3)

    def test_trainable_only(self, keras):
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3), keras.layers.Dense(1)])
        model.layers[0].trainable = False
        assert checks.count_params(model) == 9 + 4
        assert checks.count_params(model, trainable_only=True) == 4

    def test_unbuilt_model_gets_a_clear_error(self, keras):
        model = keras.Sequential([keras.layers.Dense(3)])
        with pytest.raises(ValueError, match=r"not built yet.*keras.Input"):
            checks.count_params(model)

    def test_tf_tensors_are_converted(self, keras):
        import tensorflow as tf

        checks.assert_close(tf.constant([1.0, 2.0]), [1.0, 2.0])
        checks.assert_close(tf.Variable([[3]]), [[3]])


# --- objects built to fool a test (issue 9) -------------------------------------------------------


class _AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __lt__(self, other):
        return True

    __le__ = __gt__ = __ge__ = __lt__
    __hash__ = object.__hash__


class _FakeFloat(float):
    def __eq__(self, other):
        return True

    def __float__(self):
        return 42.0


class _ClaimsToBeAnArray(_AlwaysEqual):
    @property
    def __class__(self):
        return np.ndarray


@pytest.mark.parametrize(
    "cheat",
    [
        _AlwaysEqual(),
        [_AlwaysEqual(), _AlwaysEqual()],
        (1.0, _AlwaysEqual()),
        _FakeFloat(2.0),
        _ClaimsToBeAnArray(),
        np.array([_AlwaysEqual(), _AlwaysEqual()], dtype=object),
    ],
    ids=[
        "always-equal",
        "list-of-them",
        "tuple-with-one",
        "float-subclass",
        "fake-class",
        "obj-array",
    ],
)
def test_assert_close_rejects_objects_built_to_fool_it(cheat):
    with pytest.raises(AssertionError, match="must be numeric"):
        checks.assert_close(cheat, [2.0, 2.0])


def test_torch_subclass_cannot_override_its_conversion():
    torch = pytest.importorskip("torch")

    class Liar(torch.Tensor):
        def numpy(self, *args, **kwargs):
            return np.array([2.0, 2.0])

        def detach(self):
            return self

    liar = torch.tensor([0.0, 0.0]).as_subclass(Liar)
    with pytest.raises(AssertionError, match="differs"):
        checks.assert_close(liar, [2.0, 2.0])
    checks.assert_close(torch.nn.Parameter(torch.ones(2)), [1.0, 1.0])


# --- source_findings: "no Python loops" and "do not use X", read from the source -------------


def _helper_with_loop(values):
    return [v for v in values]


def _uses_helper(values):
    return _helper_with_loop(values)


def _vectorised(values):
    return np.asarray(values) * 2


def _sums_with_alias(values):
    total = _ALIAS
    return total(values)


_ALIAS = np.sum


def _while_and_map(values):
    while False:
        pass
    return list(map(abs, values))


def test_source_findings_names_loops_helpers_and_banned_functions():
    from nnfw.checks import source_findings

    assert source_findings(_vectorised) == []
    assert source_findings(_uses_helper) == [
        "a list comprehension in _helper_with_loop (no Python loops)"
    ]
    assert source_findings(_while_and_map) == [
        "a while loop in _while_and_map (no Python loops)",
        "map() in _while_and_map (no Python loops)",
    ]
    assert source_findings(_sums_with_alias, [(np.sum, "np.sum (not allowed)")]) == [
        "np.sum (not allowed) in _sums_with_alias"
    ]
    assert source_findings(len) == []  # a builtin has no Python source: nothing to say
