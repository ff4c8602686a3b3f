"""Audit answers for 03-high-level/lightning.ipynb: `nnfw audit 03-high-level`.

Each answer is the whole source of the task's answer cell, as a learner would leave it.
"""

ANSWERS = {
    "task1_build_model": {
        "wrong": {
            "softmax_output": """
def build_digit_model(learning_rate=1e-3):
    net = nn.Sequential(
        nn.Linear(784, 128),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
        nn.Softmax(dim=1),
    )
    return Compiled(net, loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.Adam, lr=learning_rate)
""",
            "hard_coded_visible": """
def build_digit_model(learning_rate=1e-3):
    return Compiled(
        nn.Sequential(nn.Linear(784, 10)), loss_fn=F.cross_entropy, optimizer=torch.optim.Adam, lr=1e-3
    )
""",
            "nll_loss_on_logits": """
def build_digit_model(learning_rate=1e-3):
    net = nn.Sequential(
        nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
    )
    return Compiled(net, loss_fn=F.nll_loss, optimizer=torch.optim.Adam, lr=learning_rate)
""",
            "ignores_learning_rate": """
def build_digit_model(learning_rate=1e-3):
    net = nn.Sequential(
        nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
    )
    return Compiled(net, loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.Adam, lr=1e-3)
""",
            "sgd_optimizer": """
def build_digit_model(learning_rate=1e-3):
    net = nn.Sequential(
        nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
    )
    return Compiled(net, loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.SGD, lr=learning_rate)
""",
            "dropout_added": """
def build_digit_model(learning_rate=1e-3):
    net = nn.Sequential(
        nn.Linear(784, 128),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )
    return Compiled(net, loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.Adam, lr=learning_rate)
""",
            "same_network_every_call": """
_net = nn.Sequential(
    nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
)


def build_digit_model(learning_rate=1e-3):
    return Compiled(_net, loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.Adam, lr=learning_rate)
""",
        },
        "correct": {
            "functional_loss_and_list": """
def build_digit_model(learning_rate=1e-3):
    sizes = [784, 128, 64, 10]
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    net = nn.Sequential(*layers[:-1])
    return Compiled(net, F.cross_entropy, torch.optim.Adam, learning_rate)
""",
        },
    },
    "task2_train_digits": {
        "wrong": {
            "trains_on_train_and_val": """
digit_model = build_digit_model()
task2_keep = KeepMetrics()
make_trainer(epochs(10, 5), callbacks=[task2_keep]).fit(
    digit_model,
    loader(
        np.concatenate([X_digits_train, X_digits_val]),
        np.concatenate([y_digits_train, y_digits_val]),
        batch_size=64,
        shuffle=True,
        seed=SEED,
    ),
    loader(X_digits_val, y_digits_val, batch_size=512),
)
digit_history = History.from_lightning(task2_keep.epochs)
""",
            "hard_coded_visible": """
task2_keep = digits_keep
digit_model = digit_net
digit_history = History.from_lightning(task2_keep.epochs)
""",
            "no_shuffling": """
digit_model = build_digit_model()
task2_keep = KeepMetrics()
make_trainer(epochs(10, 5), callbacks=[task2_keep]).fit(
    digit_model,
    loader(X_digits_train, y_digits_train, batch_size=64),
    loader(X_digits_val, y_digits_val, batch_size=512),
)
digit_history = History.from_lightning(task2_keep.epochs)
""",
            "progress_bar": """
digit_model = build_digit_model()
task2_keep = KeepMetrics()
trainer = L.Trainer(
    max_epochs=epochs(10, 5),
    accelerator="auto",
    devices=1,
    callbacks=[task2_keep, L.pytorch.callbacks.TQDMProgressBar()],
    logger=False,
    enable_checkpointing=False,
    num_sanity_val_steps=0,
    default_root_dir=WORK,
)
trainer.fit(
    digit_model,
    loader(X_digits_train, y_digits_train, batch_size=64, shuffle=True, seed=SEED),
    loader(X_digits_val, y_digits_val, batch_size=512),
)
digit_history = History.from_lightning(task2_keep.epochs)
""",
            "trains_on_validation_rows": """
digit_model = build_digit_model()
task2_keep = KeepMetrics()
make_trainer(epochs(20, 10), callbacks=[task2_keep]).fit(
    digit_model,
    loader(X_digits_val, y_digits_val, batch_size=32, shuffle=True, seed=SEED),
    loader(X_digits_val, y_digits_val, batch_size=512),
)
digit_history = History.from_lightning(task2_keep.epochs)
""",
            "history_of_the_lesson": """
digit_model = build_digit_model()
task2_keep = KeepMetrics()
make_trainer(epochs(10, 5), callbacks=[task2_keep]).fit(
    digit_model,
    loader(X_digits_train, y_digits_train, batch_size=64, shuffle=True, seed=SEED),
    loader(X_digits_val, y_digits_val, batch_size=512),
)
digit_history = digits_history
""",
            "trains_on_all_digits": """
digit_model = build_digit_model()
task2_keep = KeepMetrics()
make_trainer(epochs(10, 5), callbacks=[task2_keep]).fit(
    digit_model,
    loader(digits_X, digits_y, batch_size=64, shuffle=True, seed=SEED),
    loader(X_digits_val, y_digits_val, batch_size=512),
)
digit_history = History.from_lightning(task2_keep.epochs)
""",
            "trains_on_the_lesson_split": """
digit_model = build_digit_model()
task2_keep = KeepMetrics()
make_trainer(epochs(10, 5), callbacks=[task2_keep]).fit(
    digit_model, digits_train_loader, loader(X_digits_val, y_digits_val, batch_size=512)
)
digit_history = History.from_lightning(task2_keep.epochs)
""",
        },
        "correct": {
            "own_trainer_and_csv_logger": """
digit_model = MultiClassifier(make_digit_net(hidden=128), lr=2e-3)
csv_logger = CSVLogger(WORK, name="task2")
task2_keep = KeepMetrics()
trainer = L.Trainer(
    max_epochs=epochs(8, 4),
    accelerator="auto",
    devices=1,
    callbacks=[task2_keep],
    logger=csv_logger,
    enable_checkpointing=False,
    enable_progress_bar=False,
    enable_model_summary=False,
)
trainer.fit(
    digit_model,
    DataLoader(
        TensorDataset(torch.from_numpy(X_digits_train), torch.from_numpy(y_digits_train)),
        batch_size=32,
        shuffle=True,
    ),
    loader(X_digits_val, y_digits_val, batch_size=256),
)
digit_history = History.from_lightning(csv_logger.log_dir)
""",
            "early_stopping_best_checkpoint": """
digit_model = build_digit_model()
task2_keep = KeepMetrics()
best2 = ModelCheckpoint(dirpath=WORK / "task2", monitor="val_loss", save_top_k=1)
make_trainer(
    epochs(12, 6), callbacks=[task2_keep, EarlyStopping(monitor="val_loss", patience=2), best2]
).fit(
    digit_model,
    loader(X_digits_train, y_digits_train, batch_size=64, shuffle=True, seed=SEED),
    loader(X_digits_val, y_digits_val, batch_size=512),
)
digit_model.load_state_dict(torch.load(best2.best_model_path, map_location="cpu")["state_dict"])
digit_history = History.from_lightning(task2_keep.epochs)
print("best epoch:", digit_history.best_epoch("val_loss") + 1)
""",
        },
    },
    "task3_residual_layer": {
        "wrong": {
            "no_relu": """
class Residual(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.weight = nn.Parameter(nn.init.xavier_uniform_(torch.empty(features, features)))
        self.bias = nn.Parameter(torch.zeros(features))

    def forward(self, x):
        return x + x @ self.weight + self.bias
""",
            "hard_coded_visible": """
class Residual(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.weight = nn.Parameter(nn.init.xavier_uniform_(torch.empty(3, 3)))
        self.bias = nn.Parameter(torch.zeros(3))

    def forward(self, x):
        return x + torch.relu(x @ self.weight + self.bias)
""",
            "uses_nn_linear": """
class Residual(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.linear = nn.Linear(features, features)

    def forward(self, x):
        return x + torch.relu(self.linear(x))
""",
            "transposed_weight": """
class Residual(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.weight = nn.Parameter(nn.init.xavier_uniform_(torch.empty(features, features)))
        self.bias = nn.Parameter(torch.zeros(features))

    def forward(self, x):
        return x + torch.relu(x @ self.weight.T + self.bias)
""",
            "random_bias": """
class Residual(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.weight = nn.Parameter(nn.init.xavier_uniform_(torch.empty(features, features)))
        self.bias = nn.Parameter(torch.randn(features) * 0.1)

    def forward(self, x):
        return x + torch.relu(x @ self.weight + self.bias)
""",
            "zero_weight": """
class Residual(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(features, features))
        self.bias = nn.Parameter(torch.zeros(features))

    def forward(self, x):
        return x + torch.relu(x @ self.weight + self.bias)
""",
            "float32_always": """
class Residual(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.weight = nn.Parameter(nn.init.xavier_uniform_(torch.empty(features, features)))
        self.bias = nn.Parameter(torch.zeros(features))

    def forward(self, x):
        return (x + torch.relu(x @ self.weight + self.bias)).float()
""",
        },
        "correct": {
            "addmm_and_functional_relu": """
class Residual(nn.Module):
    # out = x + relu(x @ weight + bias), with weight (d, d) and bias (d,).

    def __init__(self, features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(features, features))
        nn.init.xavier_uniform_(self.weight)
        self.bias = nn.Parameter(torch.zeros(features))

    def forward(self, x):
        return x + F.relu(torch.addmm(self.bias, x, self.weight))
""",
        },
    },
    "task4_early_stopping": {
        "wrong": {
            "checkpoint_not_loaded": """
es_model = make_overfitter()
es_keep = KeepMetrics()
es_best = ModelCheckpoint(dirpath=WORK / "task4", monitor="val_loss", save_top_k=1)
make_trainer(
    ES_MAX_EPOCHS, callbacks=[es_keep, EarlyStopping(monitor="val_loss", patience=5), es_best]
).fit(
    es_model,
    loader(X_es_train, y_es_train, batch_size=32, shuffle=True, seed=SEED),
    loader(X_es_val, y_es_val, batch_size=len(X_es_val)),
)
es_history = History.from_lightning(es_keep.epochs)
""",
            "hard_coded_visible": """
es_model = make_overfitter()
es_keep = KeepMetrics()
es_best = ModelCheckpoint(dirpath=WORK / "task4", monitor="val_loss", save_top_k=1)
make_trainer(25, callbacks=[es_keep, es_best]).fit(
    es_model,
    loader(X_es_train, y_es_train, batch_size=32, shuffle=True, seed=SEED),
    loader(X_es_val, y_es_val, batch_size=len(X_es_val)),
)
es_model = Overfitter.load_from_checkpoint(es_best.best_model_path, map_location="cpu")
es_history = History.from_lightning(es_keep.epochs)
""",
            "patience_too_small": """
es_model = make_overfitter()
es_keep = KeepMetrics()
es_best = ModelCheckpoint(dirpath=WORK / "task4", monitor="val_loss", save_top_k=1)
es_stop = EarlyStopping(monitor="val_loss", patience=2)
make_trainer(ES_MAX_EPOCHS, callbacks=[es_keep, es_stop, es_best]).fit(
    es_model,
    loader(X_es_train, y_es_train, batch_size=32, shuffle=True, seed=SEED),
    loader(X_es_val, y_es_val, batch_size=len(X_es_val)),
)
es_model = Overfitter.load_from_checkpoint(es_best.best_model_path, map_location="cpu")
es_history = History.from_lightning(es_keep.epochs)
""",
            "min_delta": """
es_model = make_overfitter()
es_keep = KeepMetrics()
es_best = ModelCheckpoint(dirpath=WORK / "task4", monitor="val_loss", save_top_k=1)
es_stop = EarlyStopping(monitor="val_loss", patience=5, min_delta=0.001)
make_trainer(ES_MAX_EPOCHS, callbacks=[es_keep, es_stop, es_best]).fit(
    es_model,
    loader(X_es_train, y_es_train, batch_size=32, shuffle=True, seed=SEED),
    loader(X_es_val, y_es_val, batch_size=len(X_es_val)),
)
es_model = Overfitter.load_from_checkpoint(es_best.best_model_path, map_location="cpu")
es_history = History.from_lightning(es_keep.epochs)
""",
            "checkpoint_keeps_the_last": """
es_model = make_overfitter()
es_keep = KeepMetrics()
es_best = ModelCheckpoint(dirpath=WORK / "task4")
es_stop = EarlyStopping(monitor="val_loss", patience=5)
make_trainer(ES_MAX_EPOCHS, callbacks=[es_keep, es_stop, es_best]).fit(
    es_model,
    loader(X_es_train, y_es_train, batch_size=32, shuffle=True, seed=SEED),
    loader(X_es_val, y_es_val, batch_size=len(X_es_val)),
)
es_model = Overfitter.load_from_checkpoint(es_best.best_model_path, map_location="cpu")
es_history = History.from_lightning(es_keep.epochs)
""",
            "compares_with_previous_epoch": """
es_model = make_overfitter()
es_keep = KeepMetrics()


class StopWhenWorse(L.Callback):
    def __init__(self, patience=5):
        self.patience, self.wait, self.previous, self.best_state = patience, 0, float("inf"), None

    def on_validation_epoch_end(self, trainer, pl_module):
        loss = float(trainer.callback_metrics["val_loss"])
        if loss < self.previous:
            self.wait = 0
            self.best_state = copy.deepcopy(pl_module.state_dict())
        else:
            self.wait += 1
            if self.wait >= self.patience:
                trainer.should_stop = True
        self.previous = loss


es_best = StopWhenWorse()
make_trainer(ES_MAX_EPOCHS, callbacks=[es_keep, es_best]).fit(
    es_model,
    loader(X_es_train, y_es_train, batch_size=32, shuffle=True, seed=SEED),
    loader(X_es_val, y_es_val, batch_size=len(X_es_val)),
)
es_model.load_state_dict(es_best.best_state)
es_history = History.from_lightning(es_keep.epochs)
""",
            "monitors_validation_accuracy": """
es_model = make_overfitter()
es_keep = KeepMetrics()
es_best = ModelCheckpoint(dirpath=WORK / "task4", monitor="val_acc", mode="max", save_top_k=1)
es_stop = EarlyStopping(monitor="val_acc", mode="max", patience=5)
make_trainer(ES_MAX_EPOCHS, callbacks=[es_keep, es_stop, es_best]).fit(
    es_model,
    loader(X_es_train, y_es_train, batch_size=32, shuffle=True, seed=SEED),
    loader(X_es_val, y_es_val, batch_size=len(X_es_val)),
)
es_model = Overfitter.load_from_checkpoint(es_best.best_model_path, map_location="cpu")
es_history = History.from_lightning(es_keep.epochs)
""",
        },
        "correct": {
            "own_callback_keeps_best_state": """
es_model = make_overfitter()
es_keep = KeepMetrics()


class KeepBest(L.Callback):
    def __init__(self, patience):
        self.patience, self.wait, self.best, self.state = patience, 0, float("inf"), None

    def on_validation_end(self, trainer, pl_module):
        loss = float(trainer.callback_metrics["val_loss"])
        if loss < self.best:
            self.best, self.wait = loss, 0
            self.state = copy.deepcopy(pl_module.state_dict())
        else:
            self.wait += 1
            if self.wait >= self.patience:
                trainer.should_stop = True


es_best = KeepBest(patience=4)
make_trainer(ES_MAX_EPOCHS, callbacks=[es_keep, es_best]).fit(
    es_model,
    loader(X_es_train, y_es_train, batch_size=32, shuffle=True, seed=SEED),
    loader(X_es_val, y_es_val, batch_size=len(X_es_val)),
)
es_model.load_state_dict(es_best.state)
es_history = History.from_lightning(es_keep.epochs)
""",
            "own_trainer_and_class_of_the_model": """
es_model = make_overfitter()
es_keep = KeepMetrics()
es_best = ModelCheckpoint(dirpath=WORK / "task4b", monitor="val_loss", mode="min")
trainer = L.Trainer(
    max_epochs=ES_MAX_EPOCHS,
    accelerator="auto",
    devices=1,
    callbacks=[EarlyStopping(monitor="val_loss", mode="min", patience=8), es_best, es_keep],
    logger=False,
    enable_progress_bar=False,
    enable_model_summary=False,
    num_sanity_val_steps=0,
)
trainer.fit(
    es_model,
    loader(X_es_train, y_es_train, batch_size=60, shuffle=True, seed=SEED),
    loader(X_es_val, y_es_val, batch_size=100),
)
es_model = type(es_model).load_from_checkpoint(es_best.best_model_path)
es_history = History.from_lightning(es_keep.epochs)
""",
        },
    },
}
