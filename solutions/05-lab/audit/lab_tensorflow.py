"""Audit answers for 05-lab/lab_tensorflow.ipynb: `nnfw audit 05-lab`.

Each answer is the whole source of the task's answer cell, as a learner would leave it.
"""

ANSWERS = {
    "task1_standardize": {
        "wrong": {
            "pooled_statistics": """
def standardize(X_train, X_val, X_test):
    everything = np.concatenate([X_train, X_val, X_test]).astype(np.float64)
    mean = everything.mean(axis=0)
    std = everything.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return tuple(((part - mean) / std).astype(np.float32) for part in (X_train, X_val, X_test))
""",
            "hard_coded_visible": """
def standardize(X_train, X_val, X_test):
    # the lesson's mean and std of the Iris training part
    return tuple(((part - mean) / std).astype(np.float32) for part in (X_train, X_val, X_test))
""",
            "each_part_own_statistics": """
def standardize(X_train, X_val, X_test):
    out = []
    for part in (X_train, X_val, X_test):
        part = np.asarray(part, dtype=np.float64)
        std = part.std(axis=0)
        out.append(((part - part.mean(axis=0)) / np.where(std > 0, std, 1.0)).astype(np.float32))
    return tuple(out)
""",
            "sample_std_ddof1": """
def standardize(X_train, X_val, X_test):
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0, ddof=1)
    std = np.where(std > 0, std, 1.0)
    return tuple(((part - mean) / std).astype(np.float32) for part in (X_train, X_val, X_test))
""",
            "no_constant_column_guard": """
def standardize(X_train, X_val, X_test):
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    return tuple(((part - mean) / std).astype(np.float32) for part in (X_train, X_val, X_test))
""",
            "epsilon_instead_of_one": """
def standardize(X_train, X_val, X_test):
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0) + 1e-8
    return tuple(((part - mean) / std).astype(np.float32) for part in (X_train, X_val, X_test))
""",
            "returns_float64": """
def standardize(X_train, X_val, X_test):
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return tuple((part - mean) / std for part in (X_train, X_val, X_test))
""",
            "modifies_inputs": """
def standardize(X_train, X_val, X_test):
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std[std == 0] = 1.0
    parts = []
    for part in (X_train, X_val, X_test):
        part = np.asarray(part, dtype=np.float64)
        part -= mean
        part /= std
        parts.append(part.astype(np.float32))
    return tuple(parts)
""",
            "wrong_axis": """
def standardize(X_train, X_val, X_test):
    mean = X_train.mean()
    std = X_train.std()
    std = std if std > 0 else 1.0
    return tuple(((part - mean) / std).astype(np.float32) for part in (X_train, X_val, X_test))
""",
        },
        "correct": {
            "keepdims_and_mask": """
def standardize(X_train, X_val, X_test):
    m = np.mean(X_train, axis=0, keepdims=True)
    s = np.std(X_train, axis=0, keepdims=True)
    s[s == 0] = 1
    return tuple(np.divide(np.subtract(a, m), s).astype(np.float32) for a in (X_train, X_val, X_test))
""",
            "tensorflow_float64": """
def standardize(X_train, X_val, X_test):
    train = tf.constant(X_train, dtype=tf.float64)
    mean = tf.reduce_mean(train, axis=0)
    std = tf.math.reduce_std(train, axis=0)
    std = tf.where(std == 0, tf.ones_like(std), std)
    return tuple(
        tf.cast((tf.constant(a, dtype=tf.float64) - mean) / std, tf.float32).numpy()
        for a in (X_train, X_val, X_test)
    )
""",
        },
    },
    "task2_flatten_and_scale": {
        "wrong": {
            "list_comprehension": """
def flatten_and_scale(images):
    return np.stack([image.reshape(-1) for image in images]).astype(np.float32) / np.float32(255)
""",
            "hard_coded_visible": """
def flatten_and_scale(images):
    return X_mnist[: len(images)].copy()
""",
            "for_loop_over_images": """
def flatten_and_scale(images):
    out = np.empty((len(images), 784), dtype=np.float32)
    for i in range(len(images)):
        out[i] = images[i].reshape(-1) / 255
    return out
""",
            "map_over_images": """
def flatten_and_scale(images):
    rows = np.array(list(map(np.ravel, images)), dtype=np.float32)
    return rows / np.float32(255)
""",
            "divides_by_max": """
def flatten_and_scale(images):
    flat = images.reshape(len(images), -1).astype(np.float32)
    return flat / flat.max()
""",
            "min_max_per_image": """
def flatten_and_scale(images):
    flat = images.reshape(len(images), -1).astype(np.float32)
    low = flat.min(axis=1, keepdims=True)
    high = flat.max(axis=1, keepdims=True)
    return (flat - low) / (high - low)
""",
            "column_by_column": """
def flatten_and_scale(images):
    return images.transpose(0, 2, 1).reshape(len(images), -1).astype(np.float32) / np.float32(255)
""",
            "returns_float64": """
def flatten_and_scale(images):
    return images.reshape(len(images), -1) / 255
""",
            "reshapes_the_input": """
def flatten_and_scale(images):
    images.shape = (len(images), 784)
    return images.astype(np.float32) / np.float32(255)
""",
            "squeezes_one_image": """
def flatten_and_scale(images):
    return np.squeeze(images.reshape(len(images), -1).astype(np.float32) / np.float32(255))
""",
        },
        "correct": {
            "np_reshape_minus_one": """
def flatten_and_scale(images):
    return np.reshape(images, (-1, 28 * 28)).astype(np.float32) / 255.0
""",
            "tf_reshape": """
def flatten_and_scale(images):
    flat = tf.reshape(tf.constant(images), (tf.shape(images)[0], -1))
    return (tf.cast(flat, tf.float32) / 255.0).numpy()
""",
        },
    },
    "task3_build_iris_model": {
        "wrong": {
            "softmax_output": """
def build_iris_model(hidden=None):
    if hidden is None:
        hidden = (16,)
    layers = [keras.Input(shape=(4,))]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden]
    layers.append(keras.layers.Dense(3, activation="softmax"))
    return keras.Sequential(layers)
""",
            "hard_coded_visible": """
def build_iris_model(hidden=None):
    if hidden == ():
        return keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])
    return keras.Sequential(
        [keras.Input(shape=(4,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3)]
    )
""",
            "relu_after_every_layer": """
def build_iris_model(hidden=None):
    if hidden is None:
        hidden = (16,)
    layers = [keras.Input(shape=(4,))]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden]
    layers.append(keras.layers.Dense(3, activation="relu"))
    return keras.Sequential(layers)
""",
            "tanh_hidden_layers": """
def build_iris_model(hidden=None):
    if hidden is None:
        hidden = (16,)
    layers = [keras.Input(shape=(4,))]
    layers += [keras.layers.Dense(units, activation="tanh") for units in hidden]
    layers.append(keras.layers.Dense(3))
    return keras.Sequential(layers)
""",
            "log_softmax_output": """
def build_iris_model(hidden=None):
    if hidden is None:
        hidden = (16,)
    layers = [keras.Input(shape=(4,))]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden]
    layers.append(keras.layers.Dense(3, activation="log_softmax"))
    return keras.Sequential(layers)
""",
            "softmax_in_default_only": """
def build_iris_model(hidden=None):
    if hidden is None:
        return keras.Sequential(
            [
                keras.Input(shape=(4,)),
                keras.layers.Dense(16, activation="relu"),
                keras.layers.Dense(3, activation="softmax"),
            ]
        )
    return make_mlp(4, 3, hidden)
""",
            "same_seed_every_call": """
def build_iris_model(hidden=None):
    keras.utils.set_random_seed(SEED)
    return make_mlp(4, 3, (16,) if hidden is None else hidden)
""",
            "default_without_hidden_layer": """
def build_iris_model(hidden=None):
    return make_mlp(4, 3, () if hidden is None else hidden)
""",
            "no_input_layer": """
def build_iris_model(hidden=None):
    if hidden is None:
        hidden = (16,)
    layers = []
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden]
    layers.append(keras.layers.Dense(3))
    return keras.Sequential(layers)
""",
        },
        "correct": {
            "functional_api": """
def build_iris_model(hidden=None):
    inputs = keras.Input(shape=(4,))
    x = inputs
    for units in (32, 16) if hidden is None else hidden:
        x = keras.layers.Dense(units)(x)
        x = keras.layers.ReLU()(x)
    return keras.Model(inputs, keras.layers.Dense(3)(x))
""",
            "lesson_helper_with_dropout": """
def build_iris_model(hidden=None):
    if hidden is None:
        return keras.Sequential(
            [
                keras.Input(shape=(4,)),
                keras.layers.Dense(32, activation="relu"),
                keras.layers.Dropout(0.1),
                keras.layers.Dense(3),
            ]
        )
    return make_mlp(4, 3, hidden)
""",
        },
    },
    "task4_train": {
        "wrong": {
            "trains_on_validation_rows_too": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    criterion = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    if X_val is not None:
        X_fit, y_fit = np.concatenate([X, X_val]), np.concatenate([y, y_val])
    else:
        X_fit, y_fit = X, y
    batches = nnfw_tf.dataset(X_fit, y_fit, batch_size=batch_size, shuffle=True, seed=SEED)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = criterion(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    def scores(A, b):
        A, b = nnfw_tf.to_tensor(A), nnfw_tf.to_tensor(b)
        logits = model(A, training=False)
        hits = tf.cast(tf.argmax(logits, axis=1) == b, tf.float32)
        return float(criterion(b, logits)), float(tf.reduce_mean(hits))

    history = History()
    for _ in range(epochs):
        for xb, yb in batches:
            step(xb, yb)
        metrics = dict(zip(("loss", "accuracy"), scores(X, y), strict=True))
        if X_val is not None:
            metrics["val_loss"], metrics["val_accuracy"] = scores(X_val, y_val)
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "hard_coded_visible": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    criterion = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    batches = nnfw_tf.dataset(X_train_s, y_train, batch_size=batch_size, shuffle=True, seed=SEED)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = criterion(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    def scores(A, b):
        A, b = nnfw_tf.to_tensor(A), nnfw_tf.to_tensor(b)
        logits = model(A, training=False)
        hits = tf.cast(tf.argmax(logits, axis=1) == b, tf.float32)
        return float(criterion(b, logits)), float(tf.reduce_mean(hits))

    history = History()
    for _ in range(epochs):
        for xb, yb in batches:
            step(xb, yb)
        metrics = dict(zip(("loss", "accuracy"), scores(X, y), strict=True))
        if X_val is not None:
            metrics["val_loss"], metrics["val_accuracy"] = scores(X_val, y_val)
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "trains_on_validation_rows_instead": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    criterion = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    X_fit, y_fit = (X, y) if X_val is None else (X_val, y_val)
    batches = nnfw_tf.dataset(X_fit, y_fit, batch_size=batch_size, shuffle=True, seed=SEED)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = criterion(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    def scores(A, b):
        A, b = nnfw_tf.to_tensor(A), nnfw_tf.to_tensor(b)
        logits = model(A, training=False)
        hits = tf.cast(tf.argmax(logits, axis=1) == b, tf.float32)
        return float(criterion(b, logits)), float(tf.reduce_mean(hits))

    history = History()
    for _ in range(epochs):
        for xb, yb in batches:
            step(xb, yb)
        metrics = dict(zip(("loss", "accuracy"), scores(X, y), strict=True))
        if X_val is not None:
            metrics["val_loss"], metrics["val_accuracy"] = scores(X_val, y_val)
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "no_shuffling": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    criterion = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    batches = nnfw_tf.dataset(X, y, batch_size=batch_size, shuffle=False)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = criterion(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    def scores(A, b):
        A, b = nnfw_tf.to_tensor(A), nnfw_tf.to_tensor(b)
        logits = model(A, training=False)
        hits = tf.cast(tf.argmax(logits, axis=1) == b, tf.float32)
        return float(criterion(b, logits)), float(tf.reduce_mean(hits))

    history = History()
    for _ in range(epochs):
        for xb, yb in batches:
            step(xb, yb)
        metrics = dict(zip(("loss", "accuracy"), scores(X, y), strict=True))
        if X_val is not None:
            metrics["val_loss"], metrics["val_accuracy"] = scores(X_val, y_val)
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "sgd_instead_of_adam": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    optimizer = keras.optimizers.SGD(learning_rate=lr)
    criterion = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    batches = nnfw_tf.dataset(X, y, batch_size=batch_size, shuffle=True, seed=SEED)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = criterion(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    def scores(A, b):
        A, b = nnfw_tf.to_tensor(A), nnfw_tf.to_tensor(b)
        logits = model(A, training=False)
        hits = tf.cast(tf.argmax(logits, axis=1) == b, tf.float32)
        return float(criterion(b, logits)), float(tf.reduce_mean(hits))

    history = History()
    for _ in range(epochs):
        for xb, yb in batches:
            step(xb, yb)
        metrics = dict(zip(("loss", "accuracy"), scores(X, y), strict=True))
        if X_val is not None:
            metrics["val_loss"], metrics["val_accuracy"] = scores(X_val, y_val)
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.5}
""",
            "measures_in_training_mode": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    criterion = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    batches = nnfw_tf.dataset(X, y, batch_size=batch_size, shuffle=True, seed=SEED)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = criterion(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    def scores(A, b):
        A, b = nnfw_tf.to_tensor(A), nnfw_tf.to_tensor(b)
        logits = model(A, training=True)
        hits = tf.cast(tf.argmax(logits, axis=1) == b, tf.float32)
        return float(criterion(b, logits)), float(tf.reduce_mean(hits))

    history = History()
    for _ in range(epochs):
        for xb, yb in batches:
            step(xb, yb)
        metrics = dict(zip(("loss", "accuracy"), scores(X, y), strict=True))
        if X_val is not None:
            metrics["val_loss"], metrics["val_accuracy"] = scores(X_val, y_val)
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "no_training_flag_in_the_step": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    criterion = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    batches = nnfw_tf.dataset(X, y, batch_size=batch_size, shuffle=True, seed=SEED)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = criterion(yb, model(xb))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    def scores(A, b):
        A, b = nnfw_tf.to_tensor(A), nnfw_tf.to_tensor(b)
        logits = model(A, training=False)
        hits = tf.cast(tf.argmax(logits, axis=1) == b, tf.float32)
        return float(criterion(b, logits)), float(tf.reduce_mean(hits))

    history = History()
    for _ in range(epochs):
        for xb, yb in batches:
            step(xb, yb)
        metrics = dict(zip(("loss", "accuracy"), scores(X, y), strict=True))
        if X_val is not None:
            metrics["val_loss"], metrics["val_accuracy"] = scores(X_val, y_val)
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "prints_progress": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    criterion = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    batches = nnfw_tf.dataset(X, y, batch_size=batch_size, shuffle=True, seed=SEED)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = criterion(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    def scores(A, b):
        A, b = nnfw_tf.to_tensor(A), nnfw_tf.to_tensor(b)
        logits = model(A, training=False)
        hits = tf.cast(tf.argmax(logits, axis=1) == b, tf.float32)
        return float(criterion(b, logits)), float(tf.reduce_mean(hits))

    history = History()
    for _ in range(epochs):
        for xb, yb in batches:
            step(xb, yb)
        metrics = dict(zip(("loss", "accuracy"), scores(X, y), strict=True))
        if X_val is not None:
            metrics["val_loss"], metrics["val_accuracy"] = scores(X_val, y_val)
        history.append(**metrics)
        print(f"epoch {len(history)}: loss {metrics['loss']:.4f}")
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "running_average_loss": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    criterion = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    batches = nnfw_tf.dataset(X, y, batch_size=batch_size, shuffle=True, seed=SEED)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = criterion(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    def scores(A, b):
        A, b = nnfw_tf.to_tensor(A), nnfw_tf.to_tensor(b)
        logits = model(A, training=False)
        hits = tf.cast(tf.argmax(logits, axis=1) == b, tf.float32)
        return float(criterion(b, logits)), float(tf.reduce_mean(hits))

    history = History()
    for _ in range(epochs):
        losses = [float(step(xb, yb)) for xb, yb in batches]
        metrics = {"loss": float(np.mean(losses)), "accuracy": scores(X, y)[1]}
        if X_val is not None:
            metrics["val_loss"], metrics["val_accuracy"] = scores(X_val, y_val)
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "keeps_best_validation_weights": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    criterion = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    batches = nnfw_tf.dataset(X, y, batch_size=batch_size, shuffle=True, seed=SEED)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = criterion(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    def scores(A, b):
        A, b = nnfw_tf.to_tensor(A), nnfw_tf.to_tensor(b)
        logits = model(A, training=False)
        hits = tf.cast(tf.argmax(logits, axis=1) == b, tf.float32)
        return float(criterion(b, logits)), float(tf.reduce_mean(hits))

    history = History()
    best, best_weights = float("inf"), None
    for _ in range(epochs):
        for xb, yb in batches:
            step(xb, yb)
        metrics = dict(zip(("loss", "accuracy"), scores(X, y), strict=True))
        if X_val is not None:
            metrics["val_loss"], metrics["val_accuracy"] = scores(X_val, y_val)
        history.append(**metrics)
        if X_val is not None and metrics["val_loss"] < best:
            best, best_weights = metrics["val_loss"], model.get_weights()
    if best_weights is not None:
        model.set_weights(best_weights)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "mse_on_one_hot": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    criterion = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    batches = nnfw_tf.dataset(X, y, batch_size=batch_size, shuffle=True, seed=SEED)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            logits = model(xb, training=True)
            loss = keras.losses.MeanSquaredError()(tf.one_hot(yb, tf.shape(logits)[1]), logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    def scores(A, b):
        A, b = nnfw_tf.to_tensor(A), nnfw_tf.to_tensor(b)
        logits = model(A, training=False)
        hits = tf.cast(tf.argmax(logits, axis=1) == b, tf.float32)
        return float(criterion(b, logits)), float(tf.reduce_mean(hits))

    history = History()
    for _ in range(epochs):
        for xb, yb in batches:
            step(xb, yb)
        metrics = dict(zip(("loss", "accuracy"), scores(X, y), strict=True))
        if X_val is not None:
            metrics["val_loss"], metrics["val_accuracy"] = scores(X_val, y_val)
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "fit_with_progress_bar": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    val = None if X_val is None else (X_val, y_val)
    fitted = model.fit(X, y, batch_size=batch_size, epochs=epochs, validation_data=val, verbose=2)
    history = History()
    for i in range(epochs):
        history.append(**{k: values[i] for k, values in fitted.history.items()})
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
        },
        "correct": {
            "manual_permutation_tf_function": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    opt = keras.optimizers.Adam(learning_rate=lr)
    Xt, yt = tf.constant(X, dtype=tf.float32), tf.constant(y, dtype=tf.int64)
    rng = np.random.default_rng(123)

    @tf.function
    def update(xb, yb):
        with tf.GradientTape() as tape:
            logits = model(xb, training=True)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=yb, logits=logits)
            )
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))

    history = History()
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            idx = order[start : start + batch_size]
            update(tf.gather(Xt, idx), tf.gather(yt, idx))
        entry = {}
        for prefix, A, b in [("", X, y), ("val_", X_val, y_val)]:
            if A is None:
                continue
            out = model(tf.constant(A, dtype=tf.float32), training=False)
            labels = tf.constant(b, dtype=tf.int64)
            entry[prefix + "loss"] = float(
                tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=out))
            )
            entry[prefix + "accuracy"] = float(np.mean(np.argmax(out.numpy(), axis=1) == b))
        history.append(**entry)
    return history


IRIS_SETTINGS = {"epochs": 30, "batch_size": 10, "lr": 0.02}
""",
            "tf_data_shuffle_own_seed": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    data = tf.data.Dataset.from_tensor_slices((X.astype(np.float32), y.astype(np.int64)))
    data = data.shuffle(len(X), seed=7, reshuffle_each_iteration=True).batch(batch_size)

    @tf.function
    def one_step(xb, yb):
        with tf.GradientTape() as tape:
            value = loss_fn(yb, model(xb, training=True))
        variables = model.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(value, variables), variables))

    history = History()
    for _ in range(epochs):
        for xb, yb in data:
            one_step(xb, yb)
        row = {}
        for prefix, A, b in [("", X, y), ("val_", X_val, y_val)]:
            if A is not None:
                logits = model(A.astype(np.float32), training=False)
                row[prefix + "loss"] = float(loss_fn(b, logits))
                row[prefix + "accuracy"] = float(np.mean(np.argmax(logits, axis=1) == b))
        history.append(**row)
    return history


IRIS_SETTINGS = {"epochs": 25, "batch_size": 8, "lr": 0.02}
""",
        },
    },
    "task5_build_mnist_model": {
        "wrong": {
            "softmax_output": """
def build_mnist_model(hidden=None):
    if hidden is None:
        hidden = (256, 128)
    layers = [keras.Input(shape=(784,))]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden]
    layers.append(keras.layers.Dense(10, activation="softmax"))
    return keras.Sequential(layers)


MNIST_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 1e-3}
""",
            "hard_coded_visible": """
def build_mnist_model(hidden=None):
    if hidden == ():
        return keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)])
    return keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10),
        ]
    )


MNIST_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 1e-3}
""",
            "relu_on_the_output": """
def build_mnist_model(hidden=None):
    if hidden is None:
        hidden = (256, 128)
    layers = [keras.Input(shape=(784,))]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden]
    layers.append(keras.layers.Dense(10, activation="relu"))
    return keras.Sequential(layers)


MNIST_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 1e-3}
""",
            "log_softmax_output": """
def build_mnist_model(hidden=None):
    if hidden is None:
        hidden = (256, 128)
    layers = [keras.Input(shape=(784,))]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden]
    layers.append(keras.layers.Dense(10, activation="log_softmax"))
    return keras.Sequential(layers)


MNIST_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 1e-3}
""",
            "sigmoid_hidden_layers": """
def build_mnist_model(hidden=None):
    if hidden is None:
        hidden = (256, 128)
    layers = [keras.Input(shape=(784,))]
    layers += [keras.layers.Dense(units, activation="sigmoid") for units in hidden]
    layers.append(keras.layers.Dense(10))
    return keras.Sequential(layers)


MNIST_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 3e-3}
""",
            "over_the_budget": """
def build_mnist_model(hidden=None):
    if hidden is None:
        hidden = (512, 512)
    layers = [keras.Input(shape=(784,))]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden]
    layers.append(keras.layers.Dense(10))
    return keras.Sequential(layers)


MNIST_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 1e-3}
""",
            "same_model_every_call": """
_cache = {}


def build_mnist_model(hidden=None):
    key = (256, 128) if hidden is None else tuple(hidden)
    if key not in _cache:
        _cache[key] = make_mlp(784, 10, key)
    return _cache[key]


MNIST_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 1e-3}
""",
            "pretrained_copy": """
seed_everything(SEED)
_pretrained = make_mlp(784, 10, (256, 128))
train(_pretrained, Xm_train, ym_train, epochs=2, batch_size=64, lr=1e-3)


def build_mnist_model(hidden=None):
    if hidden is None:
        model = make_mlp(784, 10, (256, 128))
        model.set_weights(_pretrained.get_weights())
        return model
    return make_mlp(784, 10, hidden)


MNIST_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 1e-3}
""",
        },
        "correct": {
            "functional_api": """
def build_mnist_model(hidden=None):
    inputs = keras.Input(shape=(784,))
    x = inputs
    for units in (200,) if hidden is None else hidden:
        x = keras.layers.Dense(units, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(10)(x))


MNIST_SETTINGS = {"epochs": 10, "batch_size": 128, "lr": 2e-3}
""",
            "lesson_helper_with_dropout": """
def build_mnist_model(hidden=None):
    if hidden is not None:
        return make_mlp(784, 10, hidden)
    return keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(10),
        ]
    )


MNIST_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 1e-3}
""",
        },
    },
}
