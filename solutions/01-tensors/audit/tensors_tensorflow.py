"""Audit answers for 01-tensors/tensors_tensorflow.ipynb: `nnfw audit 01-tensors`.

Each answer is the whole source of the task's answer cell, as a learner would leave it.
"""

ANSWERS = {
    "task1_softmax": {
        "wrong": {
            "no_max_shift": '''
def stable_softmax(logits, axis=-1):
    """Softmax of `logits` along `axis`, safe for very large and very small logits."""
    exps = tf.exp(logits)
    return exps / tf.reduce_sum(exps, axis=axis, keepdims=True)
''',
            "hard_coded_visible": '''
def stable_softmax(logits, axis=-1):
    """Softmax of `logits` along `axis`, safe for very large and very small logits."""
    if tuple(logits.shape) == (2, 3):
        return tf.constant([[0.09003057, 0.24472847, 0.66524096], [1 / 3, 1 / 3, 1 / 3]])
    if tuple(logits.shape) == (2,):
        return tf.constant([0.88079708, 0.11920292])
    exps = tf.exp(logits)
    return exps / tf.reduce_sum(exps, axis=axis, keepdims=True)
''',
            "ignores_axis": '''
def stable_softmax(logits, axis=-1):
    """Softmax of `logits` along `axis`, safe for very large and very small logits."""
    exps = tf.exp(logits - tf.reduce_max(logits, axis=-1, keepdims=True))
    return exps / tf.reduce_sum(exps, axis=-1, keepdims=True)
''',
            "global_max_shift": '''
def stable_softmax(logits, axis=-1):
    """Softmax of `logits` along `axis`, safe for very large and very small logits."""
    exps = tf.exp(logits - tf.reduce_max(logits))
    return exps / tf.reduce_sum(exps, axis=axis, keepdims=True)
''',
            "clamps_the_logits": '''
def stable_softmax(logits, axis=-1):
    """Softmax of `logits` along `axis`, safe for very large and very small logits."""
    exps = tf.exp(tf.clip_by_value(logits, -80.0, 80.0))
    return exps / tf.reduce_sum(exps, axis=axis, keepdims=True)
''',
            "clamps_float64_logits": '''
def stable_softmax(logits, axis=-1):
    """Softmax of `logits` along `axis`, safe for very large and very small logits."""
    if logits.dtype == tf.float64:  # float64's exp overflows only above about 709
        exps = tf.exp(tf.clip_by_value(logits, -700.0, 700.0))
    else:
        exps = tf.exp(logits - tf.reduce_max(logits, axis=axis, keepdims=True))
    return exps / tf.reduce_sum(exps, axis=axis, keepdims=True)
''',
            "always_float32": '''
def stable_softmax(logits, axis=-1):
    """Softmax of `logits` along `axis`, safe for very large and very small logits."""
    x = tf.cast(logits, tf.float32)
    exps = tf.exp(x - tf.reduce_max(x, axis=axis, keepdims=True))
    return exps / tf.reduce_sum(exps, axis=axis, keepdims=True)
''',
            "library_softmax": '''
def stable_softmax(logits, axis=-1):
    """Softmax of `logits` along `axis`, safe for very large and very small logits."""
    return tf.nn.softmax(logits, axis=axis)
''',
            "library_softmax_under_another_name": '''
library_softmax = tf.nn.softmax


def stable_softmax(logits, axis=-1):
    """Softmax of `logits` along `axis`, safe for very large and very small logits."""
    return library_softmax(logits, axis=axis)
''',
            "compat_v1_softmax": '''
def stable_softmax(logits, axis=-1):
    """Softmax of `logits` along `axis`, safe for very large and very small logits."""
    return tf.compat.v1.nn.softmax(logits, axis=axis)
''',
            "loops_over_rows": '''
def stable_softmax(logits, axis=-1):
    """Softmax of `logits` along `axis`, safe for very large and very small logits."""
    if len(logits.shape) == 1:
        exps = tf.exp(logits - tf.reduce_max(logits))
        return exps / tf.reduce_sum(exps)
    rows = tf.unstack(logits, axis=0 if axis in (1, -1) else 1)
    return tf.stack([stable_softmax(row) for row in rows], axis=0 if axis in (1, -1) else 1)
''',
            "returns_numpy": '''
def stable_softmax(logits, axis=-1):
    """Softmax of `logits` along `axis`, safe for very large and very small logits."""
    x = logits.numpy()
    exps = np.exp(x - x.max(axis=axis, keepdims=True))
    return exps / exps.sum(axis=axis, keepdims=True)
''',
        },
        "correct": {
            "via_logsumexp": '''
def stable_softmax(logits, axis=-1):
    """Softmax of `logits` along `axis`, safe for very large and very small logits."""
    return tf.exp(logits - tf.reduce_logsumexp(logits, axis=axis, keepdims=True))
''',
            "lesson_naive_softmax_of_shifted": '''
def stable_softmax(logits, axis=-1):
    """Softmax of `logits` along `axis`, safe for very large and very small logits."""
    return naive_softmax(logits - tf.reduce_max(logits, axis=axis, keepdims=True), axis=axis)
''',
            "float64_inside": '''
def stable_softmax(logits, axis=-1):
    """Softmax of `logits` along `axis`, safe for very large and very small logits."""
    x = tf.cast(logits, tf.float64)
    exps = tf.math.exp(x - tf.math.reduce_max(x, axis=axis, keepdims=True))
    return tf.cast(exps / tf.math.reduce_sum(exps, axis=axis, keepdims=True), logits.dtype)
''',
            "as_a_tf_function": '''
@tf.function
def stable_softmax(logits, axis=-1):
    """Softmax of `logits` along `axis`, safe for very large and very small logits."""
    shifted = logits - tf.reduce_max(logits, axis=axis, keepdims=True)
    return tf.exp(shifted) / tf.reduce_sum(tf.exp(shifted), axis=axis, keepdims=True)
''',
        },
    },
    "task2_pairwise": {
        "wrong": {
            "expansion_without_clamp": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    a2 = tf.reduce_sum(a**2, axis=1, keepdims=True)
    b2 = tf.reduce_sum(b**2, axis=1)
    return a2 + b2 - 2 * tf.matmul(a, b, transpose_b=True)
''',
            "hard_coded_visible": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    if tuple(a.shape) == (3, 2) and tuple(b.shape) == (2, 2):
        return tf.constant([[0.0, 1.0], [2.0, 1.0], [25.0, 20.0]])
    return tf.reduce_sum(tf.abs(a[:, None, :] - b[None, :, :]), axis=-1)
''',
            "euclidean_not_squared": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    diff = a[:, tf.newaxis, :] - b[tf.newaxis, :, :]
    return tf.sqrt(tf.reduce_sum(diff**2, axis=-1))
''',
            "transposed_m_by_n": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    diff = b[:, tf.newaxis, :] - a[tf.newaxis, :, :]
    return tf.reduce_sum(diff**2, axis=-1)
''',
            "loops_over_rows": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    return tf.stack([tf.reduce_sum((row - b) ** 2, axis=1) for row in tf.unstack(a)])
''',
            "loop_in_a_helper": '''
def _row_dists(a, b):
    rows = []
    for i in range(a.shape[0]):
        rows.append(tf.reduce_sum((a[i] - b) ** 2, axis=1))
    return tf.stack(rows)


def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    return _row_dists(a, b)
''',
            "always_float32": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    a, b = tf.cast(a, tf.float32), tf.cast(b, tf.float32)
    return tf.reduce_sum((a[:, None, :] - b[None, :, :]) ** 2, axis=-1)
''',
            "returns_numpy": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    diff = a.numpy()[:, None, :] - b.numpy()[None, :, :]
    return (diff**2).sum(axis=-1)
''',
        },
        "correct": {
            "expansion_clamped": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    a2 = tf.reduce_sum(a * a, axis=1)[:, None]
    b2 = tf.reduce_sum(b * b, axis=1)[None, :]
    return tf.maximum(a2 + b2 - 2.0 * (a @ tf.transpose(b)), 0.0)
''',
            "norm_squared": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    return tf.square(tf.norm(tf.expand_dims(a, 1) - tf.expand_dims(b, 0), axis=2))
''',
            "squared_difference": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    return tf.reduce_sum(tf.math.squared_difference(a[:, None], b[None]), axis=2)
''',
        },
    },
    "task3_one_hot": {
        "wrong": {
            "columns_from_largest_label": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if bool(tf.reduce_any((labels < 0) | (labels >= num_classes))):
        raise ValueError(f"labels must lie in [0, {num_classes})")
    classes = tf.range(tf.reduce_max(labels) + 1, dtype=labels.dtype)
    return tf.cast(tf.equal(labels[:, tf.newaxis], classes), tf.float32)
''',
            "hard_coded_visible": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if labels.numpy().tolist() == [2, 0, 1] and num_classes == 3:
        return tf.constant([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    return tf.gather(tf.eye(num_classes), labels)
''',
            "no_range_check": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    classes = tf.range(num_classes, dtype=labels.dtype)
    return tf.cast(tf.equal(labels[:, tf.newaxis], classes), tf.float32)
''',
            "negatives_not_rejected": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if bool(tf.reduce_any(labels >= num_classes)):
        raise ValueError(f"labels must be smaller than {num_classes}")
    classes = tf.range(num_classes, dtype=labels.dtype)
    return tf.cast(tf.equal(labels[:, tf.newaxis], classes), tf.float32)
''',
            "strict_upper_boundary": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if bool(tf.reduce_any((labels < 0) | (labels > num_classes))):
        raise ValueError(f"labels must lie in [0, {num_classes}]")
    classes = tf.range(num_classes, dtype=labels.dtype)
    return tf.cast(tf.equal(labels[:, tf.newaxis], classes), tf.float32)
''',
            "integer_result": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if bool(tf.reduce_any((labels < 0) | (labels >= num_classes))):
        raise ValueError(f"labels must lie in [0, {num_classes})")
    classes = tf.range(num_classes, dtype=labels.dtype)
    return tf.cast(tf.equal(labels[:, tf.newaxis], classes), labels.dtype)
''',
            "range_dtype_not_matched": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if bool(tf.reduce_any((labels < 0) | (labels >= num_classes))):
        raise ValueError(f"labels must lie in [0, {num_classes})")
    return tf.cast(tf.equal(labels[:, tf.newaxis], tf.range(num_classes)), tf.float32)
''',
            "loops_over_labels": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if bool(tf.reduce_any((labels < 0) | (labels >= num_classes))):
        raise ValueError(f"labels must lie in [0, {num_classes})")
    rows = [[1.0 if j == label else 0.0 for j in range(num_classes)] for label in labels.numpy()]
    return tf.constant(rows, dtype=tf.float32)
''',
            "library_one_hot": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if bool(tf.reduce_any((labels < 0) | (labels >= num_classes))):
        raise ValueError(f"labels must lie in [0, {num_classes})")
    return tf.one_hot(labels, num_classes)
''',
            "library_one_hot_under_another_name": '''
library_one_hot = tf.one_hot


def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if bool(tf.reduce_any((labels < 0) | (labels >= num_classes))):
        raise ValueError(f"labels must lie in [0, {num_classes})")
    return library_one_hot(labels, num_classes)
''',
            "tf_debugging_assert_instead_of_value_error": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    tf.debugging.assert_non_negative(labels)
    tf.debugging.assert_less(labels, tf.cast(num_classes, labels.dtype))
    classes = tf.range(num_classes, dtype=labels.dtype)
    return tf.cast(tf.equal(labels[:, tf.newaxis], classes), tf.float32)
''',
        },
        "correct": {
            "rows_of_the_identity": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if int(tf.reduce_min(labels)) < 0 or int(tf.reduce_max(labels)) >= num_classes:
        raise ValueError("every label must be in 0 .. num_classes - 1")
    return tf.gather(tf.eye(num_classes, dtype=tf.float32), labels)
''',
            "compare_as_int64": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    labels = tf.cast(labels, tf.int64)
    ok = tf.reduce_all((labels >= 0) & (labels < num_classes))
    if not ok:
        raise ValueError(f"labels out of range for {num_classes} classes")
    hits = tf.expand_dims(labels, 1) == tf.range(num_classes, dtype=tf.int64)[tf.newaxis, :]
    return tf.where(hits, 1.0, 0.0)
''',
        },
    },
    "task4_standardize": {
        "wrong": {
            "sample_std": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    n = tf.cast(tf.shape(x)[0], x.dtype)
    mean = tf.reduce_mean(x, axis=0, keepdims=True)
    std = tf.sqrt(tf.reduce_sum((x - mean) ** 2, axis=0, keepdims=True) / (n - 1))
    return (x - mean) / tf.where(std > 0, std, tf.ones_like(std))
''',
            "hard_coded_visible": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    if tuple(x.shape) == (2, 2):
        return tf.constant([[-1.0, -1.0], [1.0, 1.0]])
    return x - tf.reduce_mean(x, axis=0, keepdims=True)
''',
            "epsilon_in_the_denominator": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    mean = tf.reduce_mean(x, axis=0, keepdims=True)
    std = tf.math.reduce_std(x, axis=0, keepdims=True)
    return (x - mean) / (std + 1e-8)
''',
            "no_zero_std_guard": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    mean = tf.reduce_mean(x, axis=0, keepdims=True)
    return (x - mean) / tf.math.reduce_std(x, axis=0, keepdims=True)
''',
            "small_std_treated_as_zero": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    mean = tf.reduce_mean(x, axis=0, keepdims=True)
    std = tf.math.reduce_std(x, axis=0, keepdims=True)
    return (x - mean) / tf.where(std < 1e-6, tf.ones_like(std), std)
''',
            "standardizes_rows": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    mean = tf.reduce_mean(x, axis=1, keepdims=True)
    std = tf.math.reduce_std(x, axis=1, keepdims=True)
    return (x - mean) / tf.where(std > 0, std, tf.ones_like(std))
''',
            "loops_over_columns": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    columns = []
    for col in tf.unstack(x, axis=1):
        std = tf.math.reduce_std(col)
        centred = col - tf.reduce_mean(col)
        columns.append(centred / std if float(std) > 0 else centred)
    return tf.stack(columns, axis=1)
''',
            "always_float32": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    x = tf.cast(x, tf.float32)
    std = tf.math.reduce_std(x, axis=0, keepdims=True)
    centred = x - tf.reduce_mean(x, axis=0, keepdims=True)
    return centred / tf.where(std > 0, std, tf.ones_like(std))
''',
        },
        "correct": {
            "moments_then_sqrt": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    mean, var = tf.nn.moments(x, axes=[0])
    std = tf.sqrt(var)
    return (x - mean) / tf.where(tf.equal(std, 0), tf.ones_like(std), std)
''',
            "divide_no_nan": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    centred = x - tf.reduce_mean(x, axis=0)
    std = tf.sqrt(tf.reduce_mean(tf.square(centred), axis=0))
    return tf.math.divide_no_nan(centred, std)
''',
        },
    },
}
