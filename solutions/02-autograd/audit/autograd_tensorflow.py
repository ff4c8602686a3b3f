"""Audit answers for 02-autograd/autograd_tensorflow.ipynb: `nnfw audit 02-autograd`.

Each answer is the whole source of the task's answer cell, as a learner would leave it.
"""

ANSWERS = {
    "task1_gradient": {
        "wrong": {
            "forgets_to_watch": """
def gradient_at(fn, point):
    with tf.GradientTape() as tape:
        value = fn(point)
    return tape.gradient(value, point)
""",
            "hard_coded_visible": """
def gradient_at(fn, point):
    if fn is valley and bool(tf.reduce_all(point == 0)):
        return tf.constant([-2.0, 0.0], dtype=point.dtype)
    return tf.zeros_like(point)
""",
            "finite_differences": """
def gradient_at(fn, point):
    # five-point central differences in float64: accurate to about 1e-12 here
    p = tf.cast(point, tf.float64)
    h = 1e-3
    grad = []
    for i in range(p.shape[0]):
        e = tf.one_hot(i, p.shape[0], dtype=tf.float64) * h
        grad.append((-fn(p + 2 * e) + 8 * fn(p + e) - 8 * fn(p - e) + fn(p - 2 * e)) / (12 * h))
    return tf.cast(tf.stack(grad), point.dtype)
""",
            "always_float32": """
def gradient_at(fn, point):
    p = tf.cast(point, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(p)
        value = fn(p)
    return tape.gradient(value, p)
""",
            "returns_numpy": """
def gradient_at(fn, point):
    with tf.GradientTape() as tape:
        tape.watch(point)
        value = fn(point)
    return tape.gradient(value, point).numpy()
""",
            "returns_a_list": """
def gradient_at(fn, point):
    with tf.GradientTape() as tape:
        tape.watch(point)
        value = fn(point)
    return tape.gradient(value, [point])
""",
        },
        "correct": {
            "through_a_variable": """
def gradient_at(fn, point):
    v = tf.Variable(point)
    with tf.GradientTape() as tape:
        value = fn(v)
    return tf.convert_to_tensor(tape.gradient(value, v))
""",
            "persistent_tape_identity": """
def gradient_at(fn, point):
    p = tf.identity(point)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(p)
        value = fn(p)
    grad = tape.gradient(value, p)
    del tape
    return grad
""",
        },
    },
    "task2_sgd_step": {
        "wrong": {
            "library_optimizer": """
def sgd_step(variables, gradients, lr):
    optimizer = keras.optimizers.SGD(learning_rate=lr)
    optimizer.apply_gradients(
        [(g, v) for g, v in zip(gradients, variables, strict=True) if g is not None]
    )
""",
            "hard_coded_visible": """
def sgd_step(variables, gradients, lr):
    for v in variables:
        v.assign(v * (1 - 2 * lr))  # the visible loss sum(q**2) has gradient 2q
""",
            "fails_on_missing_gradient": """
def sgd_step(variables, gradients, lr):
    for v, g in zip(variables, gradients, strict=True):
        v.assign_sub(lr * g)
""",
            "new_values_in_list": """
def sgd_step(variables, gradients, lr):
    for i, (v, g) in enumerate(zip(variables, gradients, strict=True)):
        if g is not None:
            variables[i] = v - lr * g
""",
            "new_variables_in_list": """
def sgd_step(variables, gradients, lr):
    for i, (v, g) in enumerate(zip(variables, gradients, strict=True)):
        if g is not None:
            variables[i] = tf.Variable(v - lr * g)
""",
            "optimizer_made_once": """
_optimizer = keras.optimizers.SGD()


def sgd_step(variables, gradients, lr):
    _optimizer.learning_rate = lr
    _optimizer.apply_gradients(
        [(g, v) for g, v in zip(gradients, variables, strict=True) if g is not None]
    )
""",
            "ascends": """
def sgd_step(variables, gradients, lr):
    for v, g in zip(variables, gradients, strict=True):
        if g is not None:
            v.assign_add(lr * g)
""",
            "float32_learning_rate": """
def sgd_step(variables, gradients, lr):
    rate = tf.constant(lr)
    for v, g in zip(variables, gradients, strict=True):
        if g is not None:
            v.assign_sub(rate * g)
""",
        },
        "correct": {
            "assign_new_value": """
def sgd_step(variables, gradients, lr):
    for i in range(len(variables)):
        if gradients[i] is None:
            continue
        variables[i].assign(variables[i] - lr * gradients[i])
    return None
""",
            "cast_rate": """
def sgd_step(variables, gradients, lr):
    for v, g in zip(variables, gradients, strict=True):
        if g is not None:
            v.assign_sub(tf.cast(lr, v.dtype) * tf.convert_to_tensor(g))
""",
        },
    },
    "task3_second_derivative": {
        "wrong": {
            "first_derivative": """
def second_derivative(fn, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    return tape.gradient(y, x)
""",
            "hard_coded_visible": """
def second_derivative(fn, x):
    if fn is tf.sin:
        return -tf.sin(x)
    return 6 * x
""",
            "none_when_linear": """
def second_derivative(fn, x):
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = fn(x)
        first = inner.gradient(y, x)
    return outer.gradient(first, x)
""",
            "finite_difference_of_first": """
def second_derivative(fn, x):
    def first(t):
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = fn(t)
        return tape.gradient(y, t, unconnected_gradients=tf.UnconnectedGradients.ZERO)

    x64 = tf.cast(x, tf.float64)
    h = 1e-5
    return tf.cast((first(x64 + h) - first(x64 - h)) / (2 * h), x.dtype)
""",
            "full_jacobian": """
def second_derivative(fn, x):
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = fn(x)
        first = inner.gradient(y, x)
    second = outer.jacobian(first, x, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return tf.reduce_sum(second, axis=0) if x.shape[0] > 2 else second
""",
            "zeros_in_float32": """
def second_derivative(fn, x):
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = fn(x)
        first = inner.gradient(y, x)
    second = outer.gradient(first, x)
    return tf.zeros(x.shape) if second is None else second
""",
        },
        "correct": {
            "none_to_zeros": """
def second_derivative(fn, x):
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(fn(x))
        first = inner.gradient(y, x)
    second = outer.gradient(first, x)
    if second is None:
        return tf.zeros_like(x)
    return second
""",
            "persistent_tape": """
def second_derivative(fn, x):
    x = tf.identity(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        first = tape.gradient(fn(x), x)
    second = tape.gradient(first, x, unconnected_gradients="zero")
    del tape
    return tf.convert_to_tensor(second)
""",
        },
    },
    "task4_logistic": {
        "wrong": {
            "random_init": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):

    w = tf.Variable(tf.random.normal([X_train.shape[1]], stddev=0.01))
    b = tf.Variable(0.0)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def measure(features, labels):
        logits = tf.linalg.matvec(features, w) + b
        correct = tf.cast(logits > 0, tf.float32) == labels
        return loss_fn(y_true=labels, y_pred=logits), tf.reduce_mean(tf.cast(correct, tf.float32))

    history = History()
    for _ in range(epochs):
        with tf.GradientTape() as tape:
            loss = loss_fn(y_true=y_train, y_pred=tf.linalg.matvec(X_train, w) + b)
        grad_w, grad_b = tape.gradient(loss, [w, b])
        w.assign_sub(lr * grad_w)
        b.assign_sub(lr * grad_b)
        train_loss, train_acc = measure(X_train, y_train)
        val_loss, val_acc = measure(X_val, y_val)
        history.append(loss=train_loss, accuracy=train_acc, val_loss=val_loss, val_accuracy=val_acc)
    return w, b, history
""",
            "hard_coded_visible": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):

    w = tf.Variable(tf.zeros([X_train.shape[1]]))
    b = tf.Variable(0.0)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def measure(features, labels):
        logits = tf.linalg.matvec(features, w) + b
        correct = tf.cast(logits > 0, tf.float32) == labels
        return loss_fn(y_true=labels, y_pred=logits), tf.reduce_mean(tf.cast(correct, tf.float32))

    history = History()
    for _ in range(200):  # the visible test asks for 200 entries
        with tf.GradientTape() as tape:
            loss = loss_fn(y_true=y_train, y_pred=tf.linalg.matvec(X_train, w) + b)
        grad_w, grad_b = tape.gradient(loss, [w, b])
        w.assign_sub(lr * grad_w)
        b.assign_sub(lr * grad_b)
        train_loss, train_acc = measure(X_train, y_train)
        val_loss, val_acc = measure(X_val, y_val)
        history.append(loss=train_loss, accuracy=train_acc, val_loss=val_loss, val_accuracy=val_acc)
    return w, b, history
""",
            "trains_on_train_and_val": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):

    X_all, y_all = tf.concat([X_train, X_val], axis=0), tf.concat([y_train, y_val], axis=0)
    w = tf.Variable(tf.zeros([X_train.shape[1]]))
    b = tf.Variable(0.0)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def measure(features, labels):
        logits = tf.linalg.matvec(features, w) + b
        correct = tf.cast(logits > 0, tf.float32) == labels
        return loss_fn(y_true=labels, y_pred=logits), tf.reduce_mean(tf.cast(correct, tf.float32))

    history = History()
    for _ in range(epochs):
        with tf.GradientTape() as tape:
            loss = loss_fn(y_true=y_all, y_pred=tf.linalg.matvec(X_all, w) + b)
        grad_w, grad_b = tape.gradient(loss, [w, b])
        w.assign_sub(lr * grad_w)
        b.assign_sub(lr * grad_b)
        train_loss, train_acc = measure(X_train, y_train)
        val_loss, val_acc = measure(X_val, y_val)
        history.append(loss=train_loss, accuracy=train_acc, val_loss=val_loss, val_accuracy=val_acc)
    return w, b, history
""",
            "measures_before_update": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):

    w = tf.Variable(tf.zeros([X_train.shape[1]]))
    b = tf.Variable(0.0)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def measure(features, labels):
        logits = tf.linalg.matvec(features, w) + b
        correct = tf.cast(logits > 0, tf.float32) == labels
        return loss_fn(y_true=labels, y_pred=logits), tf.reduce_mean(tf.cast(correct, tf.float32))

    history = History()
    for _ in range(epochs):
        train_loss, train_acc = measure(X_train, y_train)
        val_loss, val_acc = measure(X_val, y_val)
        history.append(loss=train_loss, accuracy=train_acc, val_loss=val_loss, val_accuracy=val_acc)
        with tf.GradientTape() as tape:
            loss = loss_fn(y_true=y_train, y_pred=tf.linalg.matvec(X_train, w) + b)
        grad_w, grad_b = tape.gradient(loss, [w, b])
        w.assign_sub(lr * grad_w)
        b.assign_sub(lr * grad_b)
    return w, b, history
""",
            "sum_not_mean": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):

    w = tf.Variable(tf.zeros([X_train.shape[1]]))
    b = tf.Variable(0.0)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
    sum_fn = keras.losses.BinaryCrossentropy(from_logits=True, reduction="sum")

    def measure(features, labels):
        logits = tf.linalg.matvec(features, w) + b
        correct = tf.cast(logits > 0, tf.float32) == labels
        return loss_fn(y_true=labels, y_pred=logits), tf.reduce_mean(tf.cast(correct, tf.float32))

    history = History()
    for _ in range(epochs):
        with tf.GradientTape() as tape:
            loss = sum_fn(y_true=y_train, y_pred=tf.linalg.matvec(X_train, w) + b)
        grad_w, grad_b = tape.gradient(loss, [w, b])
        w.assign_sub(lr * grad_w / X_train.shape[0] * 4)
        b.assign_sub(lr * grad_b / X_train.shape[0] * 4)
        train_loss, train_acc = measure(X_train, y_train)
        val_loss, val_acc = measure(X_val, y_val)
        history.append(loss=train_loss, accuracy=train_acc, val_loss=val_loss, val_accuracy=val_acc)
    return w, b, history
""",
            "prints_progress": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):

    w = tf.Variable(tf.zeros([X_train.shape[1]]))
    b = tf.Variable(0.0)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
    optimizer = keras.optimizers.SGD(learning_rate=lr)

    def measure(features, labels):
        logits = tf.linalg.matvec(features, w) + b
        correct = tf.cast(logits > 0, tf.float32) == labels
        return loss_fn(y_true=labels, y_pred=logits), tf.reduce_mean(tf.cast(correct, tf.float32))

    history = History()
    for epoch in range(epochs):
        with tf.GradientTape() as tape:
            loss = loss_fn(y_true=y_train, y_pred=tf.linalg.matvec(X_train, w) + b)
        optimizer.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
        train_loss, train_acc = measure(X_train, y_train)
        val_loss, val_acc = measure(X_val, y_val)
        history.append(loss=train_loss, accuracy=train_acc, val_loss=val_loss, val_accuracy=val_acc)
        if epoch % 50 == 0:
            print(f"epoch {epoch}: loss {float(train_loss):.4f}")
    return w, b, history
""",
            "one_random_batch_per_epoch": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):

    w = tf.Variable(tf.zeros([X_train.shape[1]]))
    b = tf.Variable(0.0)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def measure(features, labels):
        logits = tf.linalg.matvec(features, w) + b
        correct = tf.cast(logits > 0, tf.float32) == labels
        return loss_fn(y_true=labels, y_pred=logits), tf.reduce_mean(tf.cast(correct, tf.float32))

    history = History()
    for _ in range(epochs):
        rows = tf.random.shuffle(tf.range(X_train.shape[0]))[:64]
        X_batch, y_batch = tf.gather(X_train, rows), tf.gather(y_train, rows)
        with tf.GradientTape() as tape:
            loss = loss_fn(y_true=y_batch, y_pred=tf.linalg.matvec(X_batch, w) + b)
        grad_w, grad_b = tape.gradient(loss, [w, b])
        w.assign_sub(lr * grad_w)
        b.assign_sub(lr * grad_b)
        train_loss, train_acc = measure(X_train, y_train)
        val_loss, val_acc = measure(X_val, y_val)
        history.append(loss=train_loss, accuracy=train_acc, val_loss=val_loss, val_accuracy=val_acc)
    return w, b, history
""",
            "trains_on_validation": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):

    w = tf.Variable(tf.zeros([X_train.shape[1]]))
    b = tf.Variable(0.0)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def measure(features, labels):
        logits = tf.linalg.matvec(features, w) + b
        correct = tf.cast(logits > 0, tf.float32) == labels
        return loss_fn(y_true=labels, y_pred=logits), tf.reduce_mean(tf.cast(correct, tf.float32))

    history = History()
    for _ in range(epochs):
        with tf.GradientTape() as tape:
            loss = loss_fn(y_true=y_val, y_pred=tf.linalg.matvec(X_val, w) + b)
        grad_w, grad_b = tape.gradient(loss, [w, b])
        w.assign_sub(lr * grad_w)
        b.assign_sub(lr * grad_b)
        train_loss, train_acc = measure(X_train, y_train)
        val_loss, val_acc = measure(X_val, y_val)
        history.append(loss=train_loss, accuracy=train_acc, val_loss=val_loss, val_accuracy=val_acc)
    return w, b, history
""",
            "no_bias": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):

    w = tf.Variable(tf.zeros([X_train.shape[1]]))
    b = tf.constant(0.0)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def measure(features, labels):
        logits = tf.linalg.matvec(features, w) + b
        correct = tf.cast(logits > 0, tf.float32) == labels
        return loss_fn(y_true=labels, y_pred=logits), tf.reduce_mean(tf.cast(correct, tf.float32))

    history = History()
    for _ in range(epochs):
        with tf.GradientTape() as tape:
            loss = loss_fn(y_true=y_train, y_pred=tf.linalg.matvec(X_train, w) + b)
        w.assign_sub(lr * tape.gradient(loss, w))
        train_loss, train_acc = measure(X_train, y_train)
        val_loss, val_acc = measure(X_val, y_val)
        history.append(loss=train_loss, accuracy=train_acc, val_loss=val_loss, val_accuracy=val_acc)
    return w, b, history
""",
            "returns_best_validation_epoch": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):

    w = tf.Variable(tf.zeros([X_train.shape[1]]))
    b = tf.Variable(0.0)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def measure(features, labels):
        logits = tf.linalg.matvec(features, w) + b
        correct = tf.cast(logits > 0, tf.float32) == labels
        return loss_fn(y_true=labels, y_pred=logits), tf.reduce_mean(tf.cast(correct, tf.float32))

    history = History()
    best, best_params = float("inf"), None
    for _ in range(epochs):
        with tf.GradientTape() as tape:
            loss = loss_fn(y_true=y_train, y_pred=tf.linalg.matvec(X_train, w) + b)
        grad_w, grad_b = tape.gradient(loss, [w, b])
        w.assign_sub(lr * grad_w)
        b.assign_sub(lr * grad_b)
        train_loss, train_acc = measure(X_train, y_train)
        val_loss, val_acc = measure(X_val, y_val)
        history.append(loss=train_loss, accuracy=train_acc, val_loss=val_loss, val_accuracy=val_acc)
        if float(val_loss) < best:
            best, best_params = float(val_loss), (tf.identity(w), tf.identity(b))
    return best_params[0], best_params[1], history
""",
            "ignores_lr": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):
    w = tf.Variable(tf.zeros([X_train.shape[1]]))
    b = tf.Variable(0.0)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
    optimizer = keras.optimizers.SGD(learning_rate=0.5)

    def measure(features, labels):
        logits = tf.linalg.matvec(features, w) + b
        correct = tf.cast(logits > 0, tf.float32) == labels
        return loss_fn(y_true=labels, y_pred=logits), tf.reduce_mean(tf.cast(correct, tf.float32))

    history = History()
    for _ in range(epochs):
        with tf.GradientTape() as tape:
            loss = loss_fn(y_true=y_train, y_pred=tf.linalg.matvec(X_train, w) + b)
        optimizer.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
        train_loss, train_acc = measure(X_train, y_train)
        val_loss, val_acc = measure(X_val, y_val)
        history.append(loss=train_loss, accuracy=train_acc, val_loss=val_loss, val_accuracy=val_acc)
    return w, b, history
""",
            "shared_history": """
history = History()

def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):

    w = tf.Variable(tf.zeros([X_train.shape[1]]))
    b = tf.Variable(0.0)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def measure(features, labels):
        logits = tf.linalg.matvec(features, w) + b
        correct = tf.cast(logits > 0, tf.float32) == labels
        return loss_fn(y_true=labels, y_pred=logits), tf.reduce_mean(tf.cast(correct, tf.float32))

    for _ in range(epochs):
        with tf.GradientTape() as tape:
            loss = loss_fn(y_true=y_train, y_pred=tf.linalg.matvec(X_train, w) + b)
        grad_w, grad_b = tape.gradient(loss, [w, b])
        w.assign_sub(lr * grad_w)
        b.assign_sub(lr * grad_b)
        train_loss, train_acc = measure(X_train, y_train)
        val_loss, val_acc = measure(X_val, y_val)
        history.append(loss=train_loss, accuracy=train_acc, val_loss=val_loss, val_accuracy=val_acc)
    return w, b, history
""",
        },
        "correct": {
            "keras_sgd_and_tf_function": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):

    w = tf.Variable(tf.zeros([X_train.shape[1]], dtype=tf.float32))
    b = tf.Variable(tf.zeros([], dtype=tf.float32))
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    optimizer = keras.optimizers.SGD(learning_rate=lr)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = bce(y_true=y_train, y_pred=tf.linalg.matvec(X_train, w) + b)
        optimizer.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))

    history = History()
    for _ in range(epochs):
        step()
        row = {}
        for prefix, X, y in (("", X_train, y_train), ("val_", X_val, y_val)):
            z = tf.linalg.matvec(X, w) + b
            row[prefix + "loss"] = float(bce(y_true=y, y_pred=z))
            predicted = tf.where(z > 0, 1.0, 0.0)
            row[prefix + "accuracy"] = float(tf.reduce_mean(tf.cast(predicted == y, tf.float32)))
        history.append(**row)
    return w, b, history
""",
            "assign_sub_in_a_loop": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):

    params = [tf.Variable(tf.zeros(X_train.shape[1])), tf.Variable(0.0)]
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
    history = History()
    for _ in range(epochs):
        with tf.GradientTape() as tape:
            logits = tf.linalg.matvec(X_train, params[0]) + params[1]
            loss = loss_fn(y_true=y_train, y_pred=logits)
        for v, g in zip(params, tape.gradient(loss, params), strict=True):
            v.assign_sub(lr * g)
        train_z = tf.linalg.matvec(X_train, params[0]) + params[1]
        val_z = tf.linalg.matvec(X_val, params[0]) + params[1]
        history.append(
            loss=loss_fn(y_true=y_train, y_pred=train_z).numpy(),
            accuracy=np.mean((train_z.numpy() > 0) == (y_train.numpy() == 1)),
            val_loss=loss_fn(y_true=y_val, y_pred=val_z).numpy(),
            val_accuracy=np.mean((val_z.numpy() > 0) == (y_val.numpy() == 1)),
        )
    return params[0], params[1], history
""",
        },
    },
}
