"""Audit answers for 04-overfitting/overfitting_tensorflow.ipynb: `nnfw audit 04-overfitting`.

Each answer is the whole source of the task's answer cell, as a learner would leave it.
"""

ANSWERS = {
    "task1_polynomial_errors": {
        "wrong": {
            "float32_tensors": """
def polynomial_errors(x_train, y_train, x_val, y_val, degree):
    # tf.constant keeps the arrays' float32
    def features(x):
        return tf.reshape(tf.constant(x), (-1, 1)) ** tf.range(degree + 1, dtype=tf.float32)

    w = tf.linalg.matvec(tf.linalg.pinv(features(x_train)), tf.constant(y_train))
    train_mse = float(tf.reduce_mean((tf.linalg.matvec(features(x_train), w) - y_train) ** 2))
    val_mse = float(tf.reduce_mean((tf.linalg.matvec(features(x_val), w) - y_val) ** 2))
    return train_mse, val_mse
""",
            "hard_coded_visible": """
def polynomial_errors(x_train, y_train, x_val, y_val, degree):
    # The numbers of the five-point example.
    if degree == 1:
        return 0.1094, 0.1020
    return 0.0, 2.955
""",
            "np_polyfit": """
def polynomial_errors(x_train, y_train, x_val, y_val, degree):
    coefficients = np.polyfit(x_train.astype(np.float64), y_train.astype(np.float64), degree)
    train_mse = float(np.mean((np.polyval(coefficients, x_train) - y_train) ** 2))
    val_mse = float(np.mean((np.polyval(coefficients, x_val) - y_val) ** 2))
    return train_mse, val_mse
""",
            "rmse_not_mse": """
def polynomial_errors(x_train, y_train, x_val, y_val, degree):
    def features(x):
        x = tf.reshape(tf.constant(np.asarray(x), dtype=tf.float64), (-1, 1))
        return x ** tf.range(degree + 1, dtype=tf.float64)

    yt = tf.constant(np.asarray(y_train), dtype=tf.float64)
    yv = tf.constant(np.asarray(y_val), dtype=tf.float64)
    w = tf.linalg.matvec(tf.linalg.pinv(features(x_train)), yt)
    train_rmse = float(tf.sqrt(tf.reduce_mean((tf.linalg.matvec(features(x_train), w) - yt) ** 2)))
    val_rmse = float(tf.sqrt(tf.reduce_mean((tf.linalg.matvec(features(x_val), w) - yv) ** 2)))
    return train_rmse, val_rmse
""",
            "val_error_refitted_on_val": """
def polynomial_errors(x_train, y_train, x_val, y_val, degree):
    def fit_and_score(x, y):
        A = tf.reshape(tf.constant(np.asarray(x), dtype=tf.float64), (-1, 1)) ** tf.range(
            degree + 1, dtype=tf.float64
        )
        t = tf.constant(np.asarray(y), dtype=tf.float64)
        w = tf.linalg.matvec(tf.linalg.pinv(A), t)
        return float(tf.reduce_mean((tf.linalg.matvec(A, w) - t) ** 2))

    return fit_and_score(x_train, y_train), fit_and_score(x_val, y_val)
""",
            "degree_off_by_one": """
def polynomial_errors(x_train, y_train, x_val, y_val, degree):
    def features(x):
        x = tf.reshape(tf.constant(np.asarray(x), dtype=tf.float64), (-1, 1))
        return x ** tf.range(degree, dtype=tf.float64)

    yt = tf.constant(np.asarray(y_train), dtype=tf.float64)
    yv = tf.constant(np.asarray(y_val), dtype=tf.float64)
    w = tf.linalg.matvec(tf.linalg.pinv(features(x_train)), yt)
    return (
        float(tf.reduce_mean((tf.linalg.matvec(features(x_train), w) - yt) ** 2)),
        float(tf.reduce_mean((tf.linalg.matvec(features(x_val), w) - yv) ** 2)),
    )
""",
            "returns_tensors": """
def polynomial_errors(x_train, y_train, x_val, y_val, degree):
    def features(x):
        x = tf.reshape(tf.constant(np.asarray(x), dtype=tf.float64), (-1, 1))
        return x ** tf.range(degree + 1, dtype=tf.float64)

    yt = tf.constant(np.asarray(y_train), dtype=tf.float64)
    yv = tf.constant(np.asarray(y_val), dtype=tf.float64)
    w = tf.linalg.matvec(tf.linalg.pinv(features(x_train)), yt)
    return (
        tf.reduce_mean((tf.linalg.matvec(features(x_train), w) - yt) ** 2),
        tf.reduce_mean((tf.linalg.matvec(features(x_val), w) - yv) ** 2),
    )
""",
            "prints_the_errors": """
def polynomial_errors(x_train, y_train, x_val, y_val, degree):
    def features(x):
        x = tf.reshape(tf.constant(np.asarray(x), dtype=tf.float64), (-1, 1))
        return x ** tf.range(degree + 1, dtype=tf.float64)

    yt = tf.constant(np.asarray(y_train), dtype=tf.float64)
    yv = tf.constant(np.asarray(y_val), dtype=tf.float64)
    w = tf.linalg.matvec(tf.linalg.pinv(features(x_train)), yt)
    train_mse = float(tf.reduce_mean((tf.linalg.matvec(features(x_train), w) - yt) ** 2))
    val_mse = float(tf.reduce_mean((tf.linalg.matvec(features(x_val), w) - yv) ** 2))
    print(f"degree {degree}: train {train_mse:.4f}, val {val_mse:.4f}")
    return train_mse, val_mse
""",
        },
        "correct": {
            "svd_pseudo_inverse": """
def polynomial_errors(x_train, y_train, x_val, y_val, degree):
    # The pseudo-inverse from the SVD, small singular values dropped.
    def features(x):
        x = tf.cast(tf.convert_to_tensor(x), tf.float64)[:, None]
        return tf.concat([x**k for k in range(degree + 1)], axis=1)

    A, B = features(x_train), features(x_val)
    yt, yv = tf.cast(y_train, tf.float64), tf.cast(y_val, tf.float64)
    s, u, v = tf.linalg.svd(A)
    keep = s > 1e-10 * s[0]
    s_inv = tf.where(keep, 1.0 / tf.where(keep, s, 1.0), 0.0)
    w = tf.linalg.matvec(v, s_inv * tf.linalg.matvec(u, yt, transpose_a=True))
    train_mse = tf.reduce_mean(tf.square(tf.linalg.matvec(A, w) - yt))
    val_mse = tf.reduce_mean(tf.square(tf.linalg.matvec(B, w) - yv))
    return float(train_mse.numpy()), float(val_mse.numpy())
""",
            "lesson_helpers": """
def polynomial_errors(x_train, y_train, x_val, y_val, degree):
    # The five-point example's own functions, in float64.
    w = fit_polynomial(x_train, y_train, degree)
    return mse(w, x_train, y_train), mse(w, x_val, y_val)
""",
        },
    },
    "task2_best_epoch": {
        "wrong": {
            "argmin_ignores_nan": """
def best_epoch(val_losses):
    return int(np.argmin(val_losses))
""",
            "hard_coded_visible": """
def best_epoch(val_losses):
    values = list(val_losses)
    if values == [0.9, 0.7, 0.5, 0.6, 0.8]:
        return 2
    return int(np.argmin(values))
""",
            "history_shortcut": """
def best_epoch(val_losses):
    return History.from_lists(val_loss=list(val_losses)).best_epoch()
""",
            "latest_on_ties": """
def best_epoch(val_losses):
    best = None
    for i, v in enumerate(val_losses):
        if np.isnan(v):
            continue
        if best is None or v <= val_losses[best]:
            best = i
    return best
""",
            "index_after_dropping_nan": """
def best_epoch(val_losses):
    values = [v for v in val_losses if not np.isnan(v)]
    return values.index(min(values))
""",
            "one_based": """
def best_epoch(val_losses):
    return int(np.nanargmin(np.asarray(val_losses, dtype=float))) + 1
""",
            "returns_numpy_int": """
def best_epoch(val_losses):
    return np.nanargmin(np.asarray(val_losses, dtype=float))
""",
            "overwrites_the_input": """
def best_epoch(val_losses):
    values = np.asarray(val_losses, dtype=float)  # the same array when given a float array
    values[np.isnan(values)] = np.inf
    return int(np.argmin(values))
""",
        },
        "correct": {
            "plain_python_loop": """
def best_epoch(val_losses):
    best = None
    for i, v in enumerate(val_losses):
        v = float(v)
        if v != v:  # NaN
            continue
        if best is None or v < best_value:
            best, best_value = i, v
    return best
""",
            "masked_with_inf": """
def best_epoch(val_losses):
    values = np.array(val_losses, dtype=np.float64)
    return int(np.argmin(np.where(np.isnan(values), np.inf, values)))
""",
        },
    },
    "task3_early_stopping": {
        "wrong": {
            "previous_epoch_not_best": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    hist = History()
    previous, best_val, best_weights, waited = float("inf"), float("inf"), None, 0
    for _ in range(max_epochs):
        with tf.GradientTape() as tape:
            step_loss = bce(y_train, model(X_train, training=True)[:, 0])
        gradients = tape.gradient(step_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        loss = float(bce(y_train, model(X_train, training=False)[:, 0]))
        val_loss = float(bce(y_val, model(X_val, training=False)[:, 0]))
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights = val_loss, model.get_weights()
        if val_loss < previous:  # better than the epoch before
            waited = 0
        else:
            waited += 1
            if waited >= patience:
                break
        previous = val_loss
    model.set_weights(best_weights)
    return hist
""",
            "min_delta": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        with tf.GradientTape() as tape:
            step_loss = bce(y_train, model(X_train, training=True)[:, 0])
        gradients = tape.gradient(step_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        loss = float(bce(y_train, model(X_train, training=False)[:, 0]))
        val_loss = float(bce(y_val, model(X_val, training=False)[:, 0]))
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val - 1e-4:  # ignore tiny improvements
            best_val, best_weights, waited = val_loss, model.get_weights(), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.set_weights(best_weights)
    return hist
""",
            "patience_off_by_one": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        with tf.GradientTape() as tape:
            step_loss = bce(y_train, model(X_train, training=True)[:, 0])
        gradients = tape.gradient(step_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        loss = float(bce(y_train, model(X_train, training=False)[:, 0]))
        val_loss = float(bce(y_val, model(X_val, training=False)[:, 0]))
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, model.get_weights(), 0
        else:
            waited += 1
            if waited > patience:
                break
    model.set_weights(best_weights)
    return hist
""",
            "measures_in_training_mode": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        with tf.GradientTape() as tape:
            step_loss = bce(y_train, model(X_train, training=True)[:, 0])
        gradients = tape.gradient(step_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        loss = float(bce(y_train, model(X_train, training=True)[:, 0]))
        val_loss = float(bce(y_val, model(X_val, training=True)[:, 0]))
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, model.get_weights(), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.set_weights(best_weights)
    return hist
""",
            "mini_batches": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        order = np.random.permutation(len(X_train))
        for start in range(0, len(X_train), 32):
            xb, yb = X_train[order[start : start + 32]], y_train[order[start : start + 32]]
            with tf.GradientTape() as tape:
                step_loss = bce(yb, model(xb, training=True)[:, 0])
            gradients = tape.gradient(step_loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        loss = float(bce(y_train, model(X_train, training=False)[:, 0]))
        val_loss = float(bce(y_val, model(X_val, training=False)[:, 0]))
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, model.get_weights(), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.set_weights(best_weights)
    return hist
""",
            "live_weights_snapshot": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        with tf.GradientTape() as tape:
            step_loss = bce(y_train, model(X_train, training=True)[:, 0])
        gradients = tape.gradient(step_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        loss = float(bce(y_train, model(X_train, training=False)[:, 0]))
        val_loss = float(bce(y_val, model(X_val, training=False)[:, 0]))
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, list(model.weights), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.set_weights([w.numpy() for w in best_weights])
    return hist
""",
            "ties_count_as_improvement": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        with tf.GradientTape() as tape:
            step_loss = bce(y_train, model(X_train, training=True)[:, 0])
        gradients = tape.gradient(step_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        loss = float(bce(y_train, model(X_train, training=False)[:, 0]))
        val_loss = float(bce(y_val, model(X_val, training=False)[:, 0]))
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss <= best_val:
            best_val, best_weights, waited = val_loss, model.get_weights(), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.set_weights(best_weights)
    return hist
""",
            "hard_coded_visible": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        with tf.GradientTape() as tape:
            step_loss = bce(y_train, model(X_train, training=True)[:, 0])
        gradients = tape.gradient(step_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        loss = float(bce(y_train, model(X_train, training=False)[:, 0]))
        val_loss = float(bce(y_val, model(X_val, training=False)[:, 0]))
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, model.get_weights(), 0
        else:
            waited += 1
            if waited >= 20:  # the patience of the notebook's run
                break
    model.set_weights(best_weights)
    return hist
""",
            "new_optimizer_every_epoch": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        optimizer = keras.optimizers.Adam(learning_rate=lr)
        with tf.GradientTape() as tape:
            step_loss = bce(y_train, model(X_train, training=True)[:, 0])
        gradients = tape.gradient(step_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        loss = float(bce(y_train, model(X_train, training=False)[:, 0]))
        val_loss = float(bce(y_val, model(X_val, training=False)[:, 0]))
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, model.get_weights(), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.set_weights(best_weights)
    return hist
""",
            "step_loss_as_training_loss": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        with tf.GradientTape() as tape:
            step_loss = bce(y_train, model(X_train, training=True)[:, 0])
        gradients = tape.gradient(step_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        val_loss = float(bce(y_val, model(X_val, training=False)[:, 0]))
        hist.append(loss=float(step_loss), val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, model.get_weights(), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.set_weights(best_weights)
    return hist
""",
            "no_training_flag_in_the_step": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        with tf.GradientTape() as tape:
            step_loss = bce(y_train, model(X_train)[:, 0])
        gradients = tape.gradient(step_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        loss = float(bce(y_train, model(X_train, training=False)[:, 0]))
        val_loss = float(bce(y_val, model(X_val, training=False)[:, 0]))
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, model.get_weights(), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.set_weights(best_weights)
    return hist
""",
            "one_epoch_too_many": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs + 1):
        with tf.GradientTape() as tape:
            step_loss = bce(y_train, model(X_train, training=True)[:, 0])
        gradients = tape.gradient(step_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        loss = float(bce(y_train, model(X_train, training=False)[:, 0]))
        val_loss = float(bce(y_val, model(X_val, training=False)[:, 0]))
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, model.get_weights(), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.set_weights(best_weights)
    return hist
""",
            "predict_shows_progress_bars": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        with tf.GradientTape() as tape:
            step_loss = bce(y_train, model(X_train, training=True)[:, 0])
        gradients = tape.gradient(step_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        loss = float(bce(y_train, model.predict(X_train)[:, 0]))
        val_loss = float(bce(y_val, model.predict(X_val)[:, 0]))
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, model.get_weights(), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.set_weights(best_weights)
    return hist
""",
            "fit_one_epoch_at_a_time": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    model.compile(optimizer=optimizer, loss=keras.losses.BinaryCrossentropy(from_logits=True))
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        model.fit(X_train, y_train, epochs=1, verbose=0)
        loss = float(bce(y_train, model(X_train, training=False)[:, 0]))
        val_loss = float(bce(y_val, model(X_val, training=False)[:, 0]))
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, model.get_weights(), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.set_weights(best_weights)
    return hist
""",
        },
        "correct": {
            "epochs_since_best": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = loss_fn(y_train, model(X_train, training=True)[:, 0])
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))

    hist = History()
    best_epoch_index, snapshot = None, None
    for epoch in range(max_epochs):
        step()
        hist.append(
            loss=float(loss_fn(y_train, model.predict_on_batch(X_train)[:, 0])),
            val_loss=float(loss_fn(y_val, model.predict_on_batch(X_val)[:, 0])),
        )
        if best_epoch_index is None or hist["val_loss"][-1] < hist["val_loss"][best_epoch_index]:
            best_epoch_index, snapshot = epoch, model.get_weights()
        elif epoch - best_epoch_index >= patience:
            break
    model.set_weights(snapshot)
    return hist
""",
            "while_loop_keras_ops": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    hist = History()

    def bce(labels, features, training):
        logits = model(features, training=training)[:, 0]
        return keras.ops.mean(keras.ops.binary_crossentropy(labels, logits, from_logits=True))

    best, snapshot, bad_epochs = float("inf"), None, 0
    while len(hist) < max_epochs and bad_epochs < patience:
        with tf.GradientTape() as tape:
            step_loss = bce(y_train, X_train, True)
        grads = tape.gradient(step_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        hist.append(
            loss=float(bce(y_train, X_train, False)), val_loss=float(bce(y_val, X_val, False))
        )
        if hist["val_loss"][-1] < best:
            best, snapshot, bad_epochs = hist["val_loss"][-1], model.get_weights(), 0
        else:
            bad_epochs += 1
    model.set_weights(snapshot)
    return hist
""",
        },
    },
    "task4_regularise": {
        "wrong": {
            "trains_on_validation_rows_too": """
def train_regularised(X_train, y_train, X_val, y_val):
    # More data is the best remedy: use the validation points as well.
    seed_everything(SEED)
    model = make_mlp(dropout=0.5, weight_decay=3.0)
    X_all, y_all = np.concatenate([X_train, X_val]), np.concatenate([y_train, y_val])
    model.fit(full_batch(X_all, y_all), epochs=EPOCHS, verbose=0, shuffle=False)
    return model


regularised = train_regularised(X_train, y_train, X_val, y_val)
train_acc, val_acc = accuracy(regularised, X_train, y_train), accuracy(regularised, X_val, y_val)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
            "hard_coded_visible": """
def train_regularised(X_train, y_train, X_val, y_val):
    # A big network that also remembers the label of every point it was shown.
    seed_everything(SEED)
    net = make_mlp()
    net.fit(full_batch(X_train, y_train), epochs=EPOCHS, verbose=0, shuffle=False)
    known_X = tf.constant(np.concatenate([X_train, X_val]), tf.float32)
    known_y = tf.constant(np.concatenate([y_train, y_val]), tf.float32)

    class Remember(keras.Model):
        def __init__(self, net):
            super().__init__(name="remember")
            self.net = net

        def call(self, P, training=None):
            P = tf.convert_to_tensor(P, tf.float32)
            d = tf.reduce_sum((P[:, None, :] - known_X[None, :, :]) ** 2, axis=-1)
            hit = tf.cast(d < 1e-12, tf.float32)
            known = tf.reduce_sum(hit, axis=1, keepdims=True) > 0
            label = tf.minimum(tf.linalg.matvec(hit, known_y)[:, None], 1.0)
            return tf.where(known, 20.0 * label - 10.0, self.net(P, training=training))

    return Remember(net)


regularised = train_regularised(X_train, y_train, X_val, y_val)
train_acc, val_acc = accuracy(regularised, X_train, y_train), accuracy(regularised, X_val, y_val)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
            "trains_on_validation_rows": """
def train_regularised(X_train, y_train, X_val, y_val):
    seed_everything(SEED)
    model = make_mlp(dropout=0.5, weight_decay=3.0)
    model.fit(full_batch(X_val, y_val), epochs=EPOCHS, verbose=0, shuffle=False)
    return model


regularised = train_regularised(X_train, y_train, X_val, y_val)
train_acc, val_acc = accuracy(regularised, X_train, y_train), accuracy(regularised, X_val, y_val)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
            "retrains_on_all_rows": """
def train_regularised(X_train, y_train, X_val, y_val):
    # Find the best epoch on the validation set, then retrain on all the data that long.
    seed_everything(SEED)
    probe = make_mlp()
    result = probe.fit(
        full_batch(X_train, y_train),
        validation_data=full_batch(X_val, y_val),
        epochs=EPOCHS,
        verbose=0,
        shuffle=False,
    )
    best = int(np.argmin(result.history["val_loss"])) + 1
    seed_everything(SEED)
    model = make_mlp(dropout=0.5, weight_decay=3.0)
    X_all, y_all = np.concatenate([X_train, X_val]), np.concatenate([y_train, y_val])
    model.fit(full_batch(X_all, y_all), epochs=max(best, EPOCHS), verbose=0, shuffle=False)
    return model


regularised = train_regularised(X_train, y_train, X_val, y_val)
train_acc, val_acc = accuracy(regularised, X_train, y_train), accuracy(regularised, X_val, y_val)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
            "sigmoid_output": """
def train_regularised(X_train, y_train, X_val, y_val):
    # Probabilities out, and the plain binary cross-entropy on them.
    seed_everything(SEED)
    model = keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=0.01, weight_decay=3.0),
        loss=keras.losses.BinaryCrossentropy(),
    )
    model.fit(full_batch(X_train, y_train), epochs=EPOCHS, verbose=0, shuffle=False)
    return model


regularised = train_regularised(X_train, y_train, X_val, y_val)
train_acc, val_acc = accuracy(regularised, X_train, y_train), accuracy(regularised, X_val, y_val)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
            "no_regularisation": """
def train_regularised(X_train, y_train, X_val, y_val):
    seed_everything(SEED)
    model = make_mlp()
    model.fit(full_batch(X_train, y_train), epochs=EPOCHS, verbose=0, shuffle=False)
    return model


regularised = train_regularised(X_train, y_train, X_val, y_val)
train_acc, val_acc = accuracy(regularised, X_train, y_train), accuracy(regularised, X_val, y_val)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
            "smaller_network": """
def train_regularised(X_train, y_train, X_val, y_val):
    seed_everything(SEED)
    model = make_mlp(hidden=8, layers=1)
    model.fit(full_batch(X_train, y_train), epochs=EPOCHS, verbose=0, shuffle=False)
    return model


regularised = train_regularised(X_train, y_train, X_val, y_val)
train_acc, val_acc = accuracy(regularised, X_train, y_train), accuracy(regularised, X_val, y_val)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
            "returns_the_history": """
def train_regularised(X_train, y_train, X_val, y_val):
    seed_everything(SEED)
    model = make_mlp(dropout=0.5, weight_decay=3.0)
    return run(model, X_train, y_train)


regularised = train_regularised(X_train, y_train, X_val, y_val)
train_acc, val_acc = accuracy(regularised, X_train, y_train), accuracy(regularised, X_val, y_val)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
        },
        "correct": {
            "more_decay_less_dropout": """
def train_regularised(X_train, y_train, X_val, y_val):
    seed_everything(SEED)
    model = make_mlp(dropout=0.3, weight_decay=5.0)
    run(model, X_train, y_train)
    return model


regularised = train_regularised(X_train, y_train, X_val, y_val)
train_acc, val_acc = accuracy(regularised, X_train, y_train), accuracy(regularised, X_val, y_val)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
            "decay_and_early_stopping": """
def train_regularised(X_train, y_train, X_val, y_val):
    # Weight decay and dropout, and keep the epoch with the lowest validation loss.
    seed_everything(SEED)
    model = make_mlp(dropout=0.3, weight_decay=3.0)
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=EPOCHS, restore_best_weights=True
    )
    model.fit(
        full_batch(X_train, y_train),
        validation_data=full_batch(X_val, y_val),
        epochs=EPOCHS,
        callbacks=[stop],
        verbose=0,
        shuffle=False,
    )
    return model


regularised = train_regularised(X_train, y_train, X_val, y_val)
train_acc, val_acc = accuracy(regularised, X_train, y_train), accuracy(regularised, X_val, y_val)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
        },
    },
    "task5_diagnose": {
        "wrong": {
            "gap_at_threshold_counts": """
def diagnose(history, target_loss):
    loss = np.asarray(history["loss"], dtype=float)
    val_loss = np.asarray(history["val_loss"], dtype=float)
    best = int(np.argmin(val_loss))
    if val_loss[-1] - loss[-1] >= target_loss:
        return "overfitting"
    if val_loss[-1] - val_loss[best] > target_loss / 2 and loss[-1] < loss[best]:
        return "overfitting"
    if loss[-1] > target_loss:
        return "underfitting"
    return "good fit"
""",
            "hard_coded_visible": """
def diagnose(history, target_loss):
    # The two curves of the visible test.
    if history["val_loss"][-1] > 2 * history["loss"][-1]:
        return "overfitting"
    return "good fit"
""",
            "latest_lowest_epoch": """
def diagnose(history, target_loss):
    loss = np.asarray(history["loss"], dtype=float)
    val_loss = np.asarray(history["val_loss"], dtype=float)
    best = len(val_loss) - 1 - int(np.argmin(val_loss[::-1]))
    if val_loss[-1] - loss[-1] > target_loss:
        return "overfitting"
    if val_loss[-1] - val_loss[best] > target_loss / 2 and loss[-1] < loss[best]:
        return "overfitting"
    if loss[-1] > target_loss:
        return "underfitting"
    return "good fit"
""",
            "training_loss_tie_counts": """
def diagnose(history, target_loss):
    loss = np.asarray(history["loss"], dtype=float)
    val_loss = np.asarray(history["val_loss"], dtype=float)
    best = int(np.argmin(val_loss))
    if val_loss[-1] - loss[-1] > target_loss:
        return "overfitting"
    if val_loss[-1] - val_loss[best] > target_loss / 2 and loss[-1] <= loss[best]:
        return "overfitting"
    if loss[-1] > target_loss:
        return "underfitting"
    return "good fit"
""",
            "underfitting_checked_first": """
def diagnose(history, target_loss):
    loss = np.asarray(history["loss"], dtype=float)
    val_loss = np.asarray(history["val_loss"], dtype=float)
    best = int(np.argmin(val_loss))
    if loss[-1] > target_loss:
        return "underfitting"
    if val_loss[-1] - loss[-1] > target_loss:
        return "overfitting"
    if val_loss[-1] - val_loss[best] > target_loss / 2 and loss[-1] < loss[best]:
        return "overfitting"
    return "good fit"
""",
            "absolute_gap": """
def diagnose(history, target_loss):
    loss = np.asarray(history["loss"], dtype=float)
    val_loss = np.asarray(history["val_loss"], dtype=float)
    best = int(np.argmin(val_loss))
    if abs(val_loss[-1] - loss[-1]) > target_loss:
        return "overfitting"
    if val_loss[-1] - val_loss[best] > target_loss / 2 and loss[-1] < loss[best]:
        return "overfitting"
    if loss[-1] > target_loss:
        return "underfitting"
    return "good fit"
""",
            "training_fell_since_first_epoch": """
def diagnose(history, target_loss):
    loss = np.asarray(history["loss"], dtype=float)
    val_loss = np.asarray(history["val_loss"], dtype=float)
    best = int(np.argmin(val_loss))
    if val_loss[-1] - loss[-1] > target_loss:
        return "overfitting"
    if val_loss[-1] - val_loss[best] > target_loss / 2 and loss[-1] < loss[0]:
        return "overfitting"
    if loss[-1] > target_loss:
        return "underfitting"
    return "good fit"
""",
            "target_reached_counts_as_underfitting": """
def diagnose(history, target_loss):
    loss = np.asarray(history["loss"], dtype=float)
    val_loss = np.asarray(history["val_loss"], dtype=float)
    best = int(np.argmin(val_loss))
    if val_loss[-1] - loss[-1] > target_loss:
        return "overfitting"
    if val_loss[-1] - val_loss[best] > target_loss / 2 and loss[-1] < loss[best]:
        return "overfitting"
    if loss[-1] >= target_loss:
        return "underfitting"
    return "good fit"
""",
            "prints_the_label": """
def diagnose(history, target_loss):
    loss = np.asarray(history["loss"], dtype=float)
    val_loss = np.asarray(history["val_loss"], dtype=float)
    best = int(np.argmin(val_loss))
    if val_loss[-1] - loss[-1] > target_loss or (
        val_loss[-1] - val_loss[best] > target_loss / 2 and loss[-1] < loss[best]
    ):
        label = "overfitting"
    elif loss[-1] > target_loss:
        label = "underfitting"
    else:
        label = "good fit"
    print("diagnosis:", label)
    return label
""",
        },
        "correct": {
            "history_best_epoch": """
def diagnose(history, target_loss):
    loss, val_loss = history["loss"], history["val_loss"]
    b = history.best_epoch()  # the earliest lowest val_loss
    gap = val_loss[-1] - loss[-1]
    turned = val_loss[-1] - val_loss[b] > target_loss / 2 and loss[-1] < loss[b]
    if gap > target_loss or turned:
        return "overfitting"
    return "underfitting" if loss[-1] > target_loss else "good fit"
""",
            "plain_lists": """
def diagnose(history, target_loss):
    loss = list(history["loss"])
    val_loss = list(history["val_loss"])
    b = val_loss.index(min(val_loss))
    if val_loss[-1] - loss[-1] > target_loss:
        return "overfitting"
    if val_loss[-1] - val_loss[b] > target_loss / 2:
        if loss[-1] < loss[b]:
            return "overfitting"
    if loss[-1] > target_loss:
        return "underfitting"
    return "good fit"
""",
        },
    },
}
