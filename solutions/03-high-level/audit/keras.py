"""Audit answers for 03-high-level/keras.ipynb: `nnfw audit 03-high-level`.

Each answer is the whole source of the task's answer cell, as a learner would leave it.
"""

ANSWERS = {
    "task1_build_model": {
        "wrong": {
            "softmax_output": """
def build_digit_model(learning_rate=1e-3):
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    return model
""",
            "hard_coded_visible": """
def build_digit_model(learning_rate=1e-3):
    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model
""",
            "loss_without_from_logits": """
def build_digit_model(learning_rate=1e-3):
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
""",
            "ignores_learning_rate": """
def build_digit_model(learning_rate=1e-3):
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model
""",
            "sgd_optimizer": """
def build_digit_model(learning_rate=1e-3):
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model
""",
            "hidden_sizes_swapped": """
def build_digit_model(learning_rate=1e-3):
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model
""",
            "same_model_every_call": """
_the_model = keras.Sequential(
    [
        keras.Input(shape=(784,)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10),
    ]
)


def build_digit_model(learning_rate=1e-3):
    _the_model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return _the_model
""",
        },
        "correct": {
            "add_layer_by_layer": """
def build_digit_model(learning_rate=1e-3):
    model = keras.Sequential()
    model.add(keras.Input(shape=(784,)))
    model.add(keras.layers.Dense(128, activation=keras.activations.relu))
    model.add(keras.layers.Dense(64, activation=keras.activations.relu))
    model.add(keras.layers.Dense(10, activation=None))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model
""",
        },
    },
    "task2_train_digits": {
        "wrong": {
            "trains_on_train_and_val": """
digit_model = build_digit_model()
digit_fit = digit_model.fit(
    np.concatenate([X_digits_train, X_digits_val]),
    np.concatenate([y_digits_train, y_digits_val]),
    validation_data=(X_digits_val, y_digits_val),
    batch_size=64,
    epochs=epochs(10, 5),
    verbose=0,
)
digit_history = History.from_keras(digit_fit)
""",
            "hard_coded_visible": """
digit_model = digit_net
digit_history = digits_history
""",
            "no_shuffling": """
digit_model = build_digit_model()
digit_fit = digit_model.fit(
    nnfw_tf.dataset(X_digits_train, y_digits_train, batch_size=64),
    validation_data=nnfw_tf.dataset(X_digits_val, y_digits_val, batch_size=512),
    epochs=epochs(10, 5),
    verbose=0,
)
digit_history = History.from_keras(digit_fit)
""",
            "progress_bar": """
digit_model = build_digit_model()
digit_fit = digit_model.fit(
    X_digits_train,
    y_digits_train,
    validation_data=(X_digits_val, y_digits_val),
    batch_size=64,
    epochs=epochs(10, 5),
)
digit_history = History.from_keras(digit_fit)
""",
            "trains_on_validation_rows": """
digit_model = build_digit_model()
digit_fit = digit_model.fit(
    X_digits_val,
    y_digits_val,
    validation_data=(X_digits_val, y_digits_val),
    batch_size=32,
    epochs=epochs(20, 10),
    verbose=0,
)
digit_history = History.from_keras(digit_fit)
""",
            "history_of_the_lesson": """
digit_model = build_digit_model()
digit_model.fit(
    X_digits_train,
    y_digits_train,
    validation_data=(X_digits_val, y_digits_val),
    batch_size=64,
    epochs=epochs(10, 5),
    verbose=0,
)
digit_history = digits_history
""",
            "validation_split": """
digit_model = build_digit_model()
digit_fit = digit_model.fit(
    X_digits_train,
    y_digits_train,
    validation_split=0.15,
    batch_size=64,
    epochs=epochs(10, 5),
    verbose=0,
)
digit_history = History.from_keras(digit_fit)
""",
            "trains_on_all_digits": """
digit_model = build_digit_model()
digit_fit = digit_model.fit(
    digits_X,
    digits_y,
    validation_data=(X_digits_val, y_digits_val),
    batch_size=64,
    epochs=epochs(10, 5),
    verbose=0,
)
digit_history = History.from_keras(digit_fit)
""",
        },
        "correct": {
            "numpy_arrays_fit_shuffles": """
digit_model = build_digit_model(learning_rate=2e-3)
result = digit_model.fit(
    X_digits_train,
    y_digits_train,
    validation_data=(X_digits_val, y_digits_val),
    batch_size=32,
    epochs=epochs(8, 4),
    verbose=0,
)
digit_history = History.from_keras(result)
""",
            "early_stopping_wider_net": """
digit_model = keras.Sequential(
    [
        keras.Input(shape=(784,)),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(10),
    ]
)
digit_model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
train_pipe = (
    tf.data.Dataset.from_tensor_slices((X_digits_train, y_digits_train))
    .shuffle(len(X_digits_train), seed=SEED, reshuffle_each_iteration=True)
    .batch(64)
)
stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
digit_history = History.from_keras(
    digit_model.fit(
        train_pipe,
        validation_data=(X_digits_val, y_digits_val),
        epochs=epochs(12, 6),
        callbacks=[stop],
        verbose=0,
    )
)
print("trained for", len(digit_history), "epochs")
""",
        },
    },
    "task3_residual_layer": {
        "wrong": {
            "no_relu": """
class Residual(keras.layers.Layer):
    def __init__(self, features):
        super().__init__()
        self.features = features

    def build(self, input_shape):
        d = self.features
        self.kernel = self.add_weight(shape=(d, d), initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(d,), initializer="zeros", name="bias")

    def call(self, inputs):
        return inputs + keras.ops.matmul(inputs, self.kernel) + self.bias
""",
            "hard_coded_visible": """
class Residual(keras.layers.Layer):
    def __init__(self, features):
        super().__init__()
        self.features = features

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(3, 3), initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(3,), initializer="zeros", name="bias")

    def call(self, inputs):
        return inputs + keras.ops.relu(keras.ops.matmul(inputs, self.kernel) + self.bias)
""",
            "no_skip_connection": """
class Residual(keras.layers.Layer):
    def __init__(self, features):
        super().__init__()
        self.features = features

    def build(self, input_shape):
        d = self.features
        self.kernel = self.add_weight(shape=(d, d), initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(d,), initializer="zeros", name="bias")

    def call(self, inputs):
        return keras.ops.relu(keras.ops.matmul(inputs, self.kernel) + self.bias)
""",
            "random_bias": """
class Residual(keras.layers.Layer):
    def __init__(self, features):
        super().__init__()
        self.features = features

    def build(self, input_shape):
        d = self.features
        self.kernel = self.add_weight(shape=(d, d), initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(d,), initializer="random_normal", name="bias")

    def call(self, inputs):
        return inputs + keras.ops.relu(keras.ops.matmul(inputs, self.kernel) + self.bias)
""",
            "zero_kernel": """
class Residual(keras.layers.Layer):
    def __init__(self, features):
        super().__init__()
        self.features = features

    def build(self, input_shape):
        d = self.features
        self.kernel = self.add_weight(shape=(d, d), initializer="zeros", name="kernel")
        self.bias = self.add_weight(shape=(d,), initializer="zeros", name="bias")

    def call(self, inputs):
        return inputs + keras.ops.relu(keras.ops.matmul(inputs, self.kernel) + self.bias)
""",
            "transposed_kernel": """
class Residual(keras.layers.Layer):
    def __init__(self, features):
        super().__init__()
        self.features = features

    def build(self, input_shape):
        d = self.features
        self.kernel = self.add_weight(shape=(d, d), initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(d,), initializer="zeros", name="bias")

    def call(self, inputs):
        z = keras.ops.matmul(inputs, keras.ops.transpose(self.kernel)) + self.bias
        return inputs + keras.ops.relu(z)
""",
            "bias_not_trainable": """
class Residual(keras.layers.Layer):
    def __init__(self, features):
        super().__init__()
        self.features = features

    def build(self, input_shape):
        d = self.features
        self.kernel = self.add_weight(shape=(d, d), initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(d,), initializer="zeros", trainable=False, name="bias")

    def call(self, inputs):
        return inputs + keras.ops.relu(keras.ops.matmul(inputs, self.kernel) + self.bias)
""",
        },
        "correct": {
            "ops_maximum_and_initializer_objects": """
class Residual(keras.layers.Layer):
    # out = x + relu(x @ kernel + bias), with kernel (d, d) and bias (d,), d = features.

    def __init__(self, features):
        super().__init__()
        self.features = features

    def build(self, input_shape):
        d = int(input_shape[-1])
        self.kernel = self.add_weight(
            shape=(d, d), initializer=keras.initializers.GlorotUniform(), trainable=True
        )
        self.bias = self.add_weight(shape=(d,), initializer=keras.initializers.Zeros())

    def call(self, inputs):
        z = keras.ops.dot(inputs, self.kernel) + self.bias
        return keras.ops.add(inputs, keras.ops.maximum(z, 0.0))
""",
        },
    },
    "task4_early_stopping": {
        "wrong": {
            "no_restore": """
es_model = make_overfitter()
stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5)
es_fit = es_model.fit(
    X_es_train,
    y_es_train,
    validation_data=(X_es_val, y_es_val),
    batch_size=32,
    epochs=ES_MAX_EPOCHS,
    callbacks=[stopper],
    verbose=0,
)
es_history = History.from_keras(es_fit)
""",
            "hard_coded_visible": """
es_model = make_overfitter()
es_fit = es_model.fit(
    X_es_train,
    y_es_train,
    validation_data=(X_es_val, y_es_val),
    batch_size=32,
    epochs=25,
    verbose=0,
)
es_history = History.from_keras(es_fit)
""",
            "patience_too_small": """
es_model = make_overfitter()
stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
es_fit = es_model.fit(
    X_es_train,
    y_es_train,
    validation_data=(X_es_val, y_es_val),
    batch_size=32,
    epochs=ES_MAX_EPOCHS,
    callbacks=[stopper],
    verbose=0,
)
es_history = History.from_keras(es_fit)
""",
            "min_delta": """
es_model = make_overfitter()
stopper = keras.callbacks.EarlyStopping(
    monitor="val_loss", patience=5, min_delta=0.001, restore_best_weights=True
)
es_fit = es_model.fit(
    X_es_train,
    y_es_train,
    validation_data=(X_es_val, y_es_val),
    batch_size=32,
    epochs=ES_MAX_EPOCHS,
    callbacks=[stopper],
    verbose=0,
)
es_history = History.from_keras(es_fit)
""",
            "compares_with_previous_epoch": """
es_model = make_overfitter()


class StopWhenWorse(keras.callbacks.Callback):
    def __init__(self, patience=5):
        super().__init__()
        self.patience, self.wait, self.previous = patience, 0, float("inf")
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        loss = logs["val_loss"]
        if loss < self.previous:
            self.wait = 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.model.stop_training = True
        self.previous = loss

    def on_train_end(self, logs=None):
        self.model.set_weights(self.best_weights)


es_fit = es_model.fit(
    X_es_train,
    y_es_train,
    validation_data=(X_es_val, y_es_val),
    batch_size=32,
    epochs=ES_MAX_EPOCHS,
    callbacks=[StopWhenWorse(patience=5)],
    verbose=0,
)
es_history = History.from_keras(es_fit)
""",
            "monitors_validation_accuracy": """
es_model = make_overfitter()
stopper = keras.callbacks.EarlyStopping(
    monitor="val_accuracy", patience=5, restore_best_weights=True
)
es_fit = es_model.fit(
    X_es_train,
    y_es_train,
    validation_data=(X_es_val, y_es_val),
    batch_size=32,
    epochs=ES_MAX_EPOCHS,
    callbacks=[stopper],
    verbose=0,
)
es_history = History.from_keras(es_fit)
""",
            "measures_in_training_mode": """
es_model = make_overfitter()
bce = keras.losses.BinaryCrossentropy(from_logits=True)


class MyStopper(keras.callbacks.Callback):
    def __init__(self, patience=5):
        super().__init__()
        self.patience, self.wait, self.best, self.best_weights = patience, 0, float("inf"), None

    def on_epoch_end(self, epoch, logs=None):
        loss = float(bce(y_es_val, self.model(X_es_val, training=True)))
        if loss < self.best:
            self.best, self.wait = loss, 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.model.set_weights(self.best_weights)


es_fit = es_model.fit(
    X_es_train,
    y_es_train,
    validation_data=(X_es_val, y_es_val),
    batch_size=32,
    epochs=ES_MAX_EPOCHS,
    callbacks=[MyStopper()],
    verbose=0,
)
es_history = History.from_keras(es_fit)
""",
        },
        "correct": {
            "checkpoint_and_load_weights": """
es_model = make_overfitter()
weights_file = WORK / "task4_best.weights.h5"
es_fit = es_model.fit(
    nnfw_tf.dataset(X_es_train, y_es_train, batch_size=16, shuffle=True, seed=SEED),
    validation_data=(X_es_val, y_es_val),
    epochs=ES_MAX_EPOCHS,
    callbacks=[
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=8),
        keras.callbacks.ModelCheckpoint(
            weights_file, monitor="val_loss", save_best_only=True, save_weights_only=True
        ),
    ],
    verbose=0,
)
es_model.load_weights(weights_file)
es_history = History.from_keras(es_fit)
""",
            "own_callback_best_so_far": """
es_model = make_overfitter()


class KeepBest(keras.callbacks.Callback):
    def __init__(self, patience):
        super().__init__()
        self.patience, self.wait, self.best, self.best_weights = patience, 0, float("inf"), None

    def on_epoch_end(self, epoch, logs=None):
        if logs["val_loss"] < self.best:
            self.best, self.wait = logs["val_loss"], 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.model.set_weights(self.best_weights)


es_history = History.from_keras(
    es_model.fit(
        X_es_train,
        y_es_train,
        validation_data=(X_es_val, y_es_val),
        batch_size=32,
        epochs=ES_MAX_EPOCHS,
        callbacks=[KeepBest(patience=4)],
        verbose=0,
    )
)
""",
            "checkpoint_and_load_model": """
es_model = make_overfitter()
best_file = WORK / "task4_best.keras"
es_fit = es_model.fit(
    X_es_train,
    y_es_train,
    validation_data=(X_es_val, y_es_val),
    batch_size=32,
    epochs=ES_MAX_EPOCHS,
    callbacks=[
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=3),
        keras.callbacks.ModelCheckpoint(best_file, monitor="val_loss", save_best_only=True),
    ],
    verbose=2,
)
es_model = keras.models.load_model(best_file)
es_history = History.from_keras(es_fit)
""",
        },
    },
}
