"""Audit answers for 05-lab/lab_pytorch.ipynb: `nnfw audit 05-lab`.

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
            "torch_float64": """
def standardize(X_train, X_val, X_test):
    train = torch.as_tensor(np.asarray(X_train), dtype=torch.float64)
    mean = train.mean(dim=0)
    std = train.std(dim=0, correction=0)
    std = torch.where(std == 0, torch.ones_like(std), std)
    return tuple(
        ((torch.as_tensor(np.asarray(a), dtype=torch.float64) - mean) / std).float().numpy()
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
            "torch_flatten": """
def flatten_and_scale(images):
    return torch.from_numpy(np.ascontiguousarray(images)).flatten(1).float().div(255).numpy()
""",
        },
    },
    "task3_build_iris_model": {
        "wrong": {
            "softmax_output": """
def build_iris_model(hidden=None):
    if hidden is None:
        hidden = (16,)
    layers, width = [], 4
    for units in hidden:
        layers += [nn.Linear(width, units), nn.ReLU()]
        width = units
    layers += [nn.Linear(width, 3), nn.Softmax(dim=1)]
    return nn.Sequential(*layers).to(device)
""",
            "hard_coded_visible": """
def build_iris_model(hidden=None):
    if hidden == ():
        return nn.Sequential(nn.Linear(4, 3)).to(device)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)).to(device)
""",
            "relu_after_every_layer": """
def build_iris_model(hidden=None):
    if hidden is None:
        hidden = (16,)
    layers, width = [], 4
    for units in (*hidden, 3):
        layers += [nn.Linear(width, units), nn.ReLU()]
        width = units
    return nn.Sequential(*layers).to(device)
""",
            "tanh_hidden_layers": """
def build_iris_model(hidden=None):
    if hidden is None:
        hidden = (16,)
    layers, width = [], 4
    for units in hidden:
        layers += [nn.Linear(width, units), nn.Tanh()]
        width = units
    layers.append(nn.Linear(width, 3))
    return nn.Sequential(*layers).to(device)
""",
            "log_softmax_output": """
def build_iris_model(hidden=None):
    if hidden is None:
        hidden = (16,)
    layers, width = [], 4
    for units in hidden:
        layers += [nn.Linear(width, units), nn.ReLU()]
        width = units
    layers += [nn.Linear(width, 3), nn.LogSoftmax(dim=1)]
    return nn.Sequential(*layers).to(device)
""",
            "softmax_in_default_only": """
def build_iris_model(hidden=None):
    if hidden is None:
        return nn.Sequential(
            nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3), nn.Softmax(dim=-1)
        ).to(device)
    return make_mlp(4, 3, hidden)
""",
            "same_seed_every_call": """
def build_iris_model(hidden=None):
    seed_everything(SEED)
    return make_mlp(4, 3, (16,) if hidden is None else hidden)
""",
            "default_without_hidden_layer": """
def build_iris_model(hidden=None):
    return make_mlp(4, 3, () if hidden is None else hidden)
""",
        },
        "correct": {
            "module_class": """
class IrisNet(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        widths = [4, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))
        self.out = nn.Linear(widths[-1], 3)

    def forward(self, x):
        for layer in self.hidden:
            x = torch.relu(layer(x))
        return self.out(x)


def build_iris_model(hidden=None):
    return IrisNet((32, 16) if hidden is None else tuple(hidden)).to(device)
""",
            "lesson_helper_with_dropout": """
def build_iris_model(hidden=None):
    if hidden is None:
        return nn.Sequential(
            nn.Linear(4, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 3)
        ).to(device)
    return make_mlp(4, 3, hidden)
""",
        },
    },
    "task4_train": {
        "wrong": {
            "trains_on_validation_rows_too": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    where = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    if X_val is not None:
        X_fit, y_fit = np.concatenate([X, X_val]), np.concatenate([y, y_val])
    else:
        X_fit, y_fit = X, y
    batches = loader(X_fit, y_fit, batch_size=batch_size, shuffle=True, seed=SEED, device=where)
    X_t, y_t = to_tensor(X, device=where), to_tensor(y, device=where)
    history = History()
    for _ in range(epochs):
        model.train()
        for xb, yb in batches:
            optimizer.zero_grad()
            criterion(model(xb), yb).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(X_t)
            metrics = {
                "loss": criterion(logits, y_t).item(),
                "accuracy": (logits.argmax(dim=1) == y_t).float().mean().item(),
            }
            if X_val is not None:
                Xv, yv = to_tensor(X_val, device=where), to_tensor(y_val, device=where)
                logits = model(Xv)
                metrics["val_loss"] = criterion(logits, yv).item()
                metrics["val_accuracy"] = (logits.argmax(dim=1) == yv).float().mean().item()
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "hard_coded_visible": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    where = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    batches = loader(X_train_s, y_train, batch_size=batch_size, shuffle=True, seed=SEED, device=where)
    X_t, y_t = to_tensor(X, device=where), to_tensor(y, device=where)
    history = History()
    for _ in range(epochs):
        model.train()
        for xb, yb in batches:
            optimizer.zero_grad()
            criterion(model(xb), yb).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(X_t)
            metrics = {
                "loss": criterion(logits, y_t).item(),
                "accuracy": (logits.argmax(dim=1) == y_t).float().mean().item(),
            }
            if X_val is not None:
                Xv, yv = to_tensor(X_val, device=where), to_tensor(y_val, device=where)
                logits = model(Xv)
                metrics["val_loss"] = criterion(logits, yv).item()
                metrics["val_accuracy"] = (logits.argmax(dim=1) == yv).float().mean().item()
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "trains_on_validation_rows_instead": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    where = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    X_fit, y_fit = (X, y) if X_val is None else (X_val, y_val)
    batches = loader(X_fit, y_fit, batch_size=batch_size, shuffle=True, seed=SEED, device=where)
    X_t, y_t = to_tensor(X, device=where), to_tensor(y, device=where)
    history = History()
    for _ in range(epochs):
        model.train()
        for xb, yb in batches:
            optimizer.zero_grad()
            criterion(model(xb), yb).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(X_t)
            metrics = {
                "loss": criterion(logits, y_t).item(),
                "accuracy": (logits.argmax(dim=1) == y_t).float().mean().item(),
            }
            if X_val is not None:
                Xv, yv = to_tensor(X_val, device=where), to_tensor(y_val, device=where)
                logits = model(Xv)
                metrics["val_loss"] = criterion(logits, yv).item()
                metrics["val_accuracy"] = (logits.argmax(dim=1) == yv).float().mean().item()
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "no_shuffling": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    where = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    batches = loader(X, y, batch_size=batch_size, shuffle=False, device=where)
    X_t, y_t = to_tensor(X, device=where), to_tensor(y, device=where)
    history = History()
    for _ in range(epochs):
        model.train()
        for xb, yb in batches:
            optimizer.zero_grad()
            criterion(model(xb), yb).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(X_t)
            metrics = {
                "loss": criterion(logits, y_t).item(),
                "accuracy": (logits.argmax(dim=1) == y_t).float().mean().item(),
            }
            if X_val is not None:
                Xv, yv = to_tensor(X_val, device=where), to_tensor(y_val, device=where)
                logits = model(Xv)
                metrics["val_loss"] = criterion(logits, yv).item()
                metrics["val_accuracy"] = (logits.argmax(dim=1) == yv).float().mean().item()
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "sgd_instead_of_adam": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    where = next(model.parameters()).device
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    batches = loader(X, y, batch_size=batch_size, shuffle=True, seed=SEED, device=where)
    X_t, y_t = to_tensor(X, device=where), to_tensor(y, device=where)
    history = History()
    for _ in range(epochs):
        model.train()
        for xb, yb in batches:
            optimizer.zero_grad()
            criterion(model(xb), yb).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(X_t)
            metrics = {
                "loss": criterion(logits, y_t).item(),
                "accuracy": (logits.argmax(dim=1) == y_t).float().mean().item(),
            }
            if X_val is not None:
                Xv, yv = to_tensor(X_val, device=where), to_tensor(y_val, device=where)
                logits = model(Xv)
                metrics["val_loss"] = criterion(logits, yv).item()
                metrics["val_accuracy"] = (logits.argmax(dim=1) == yv).float().mean().item()
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.5}
""",
            "measures_in_training_mode": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    where = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    batches = loader(X, y, batch_size=batch_size, shuffle=True, seed=SEED, device=where)
    X_t, y_t = to_tensor(X, device=where), to_tensor(y, device=where)
    history = History()
    for _ in range(epochs):
        for xb, yb in batches:
            optimizer.zero_grad()
            criterion(model(xb), yb).backward()
            optimizer.step()
        with torch.no_grad():
            logits = model(X_t)
            metrics = {
                "loss": criterion(logits, y_t).item(),
                "accuracy": (logits.argmax(dim=1) == y_t).float().mean().item(),
            }
            if X_val is not None:
                Xv, yv = to_tensor(X_val, device=where), to_tensor(y_val, device=where)
                logits = model(Xv)
                metrics["val_loss"] = criterion(logits, yv).item()
                metrics["val_accuracy"] = (logits.argmax(dim=1) == yv).float().mean().item()
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "forgets_model_train": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    where = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    batches = loader(X, y, batch_size=batch_size, shuffle=True, seed=SEED, device=where)
    X_t, y_t = to_tensor(X, device=where), to_tensor(y, device=where)
    history = History()
    model.train()
    for _ in range(epochs):
        for xb, yb in batches:
            optimizer.zero_grad()
            criterion(model(xb), yb).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(X_t)
            metrics = {
                "loss": criterion(logits, y_t).item(),
                "accuracy": (logits.argmax(dim=1) == y_t).float().mean().item(),
            }
            if X_val is not None:
                Xv, yv = to_tensor(X_val, device=where), to_tensor(y_val, device=where)
                logits = model(Xv)
                metrics["val_loss"] = criterion(logits, yv).item()
                metrics["val_accuracy"] = (logits.argmax(dim=1) == yv).float().mean().item()
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "prints_progress": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    where = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    batches = loader(X, y, batch_size=batch_size, shuffle=True, seed=SEED, device=where)
    X_t, y_t = to_tensor(X, device=where), to_tensor(y, device=where)
    history = History()
    for _ in range(epochs):
        model.train()
        for xb, yb in batches:
            optimizer.zero_grad()
            criterion(model(xb), yb).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(X_t)
            metrics = {
                "loss": criterion(logits, y_t).item(),
                "accuracy": (logits.argmax(dim=1) == y_t).float().mean().item(),
            }
            if X_val is not None:
                Xv, yv = to_tensor(X_val, device=where), to_tensor(y_val, device=where)
                logits = model(Xv)
                metrics["val_loss"] = criterion(logits, yv).item()
                metrics["val_accuracy"] = (logits.argmax(dim=1) == yv).float().mean().item()
        history.append(**metrics)
        print(f"epoch {len(history)}: loss {metrics['loss']:.4f}")
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "unseeded_shuffle": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    where = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    X_t, y_t = to_tensor(X, device=where), to_tensor(y, device=where)
    batches = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(X_t, y_t), batch_size=batch_size, shuffle=True
    )
    X_t, y_t = to_tensor(X, device=where), to_tensor(y, device=where)
    history = History()
    for _ in range(epochs):
        model.train()
        for xb, yb in batches:
            optimizer.zero_grad()
            criterion(model(xb), yb).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(X_t)
            metrics = {
                "loss": criterion(logits, y_t).item(),
                "accuracy": (logits.argmax(dim=1) == y_t).float().mean().item(),
            }
            if X_val is not None:
                Xv, yv = to_tensor(X_val, device=where), to_tensor(y_val, device=where)
                logits = model(Xv)
                metrics["val_loss"] = criterion(logits, yv).item()
                metrics["val_accuracy"] = (logits.argmax(dim=1) == yv).float().mean().item()
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "running_average_loss": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    where = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    batches = loader(X, y, batch_size=batch_size, shuffle=True, seed=SEED, device=where)
    X_t, y_t = to_tensor(X, device=where), to_tensor(y, device=where)
    history = History()
    for _ in range(epochs):
        model.train()
        losses = []
        for xb, yb in batches:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            logits = model(X_t)
            metrics = {
                "loss": float(np.mean(losses)),
                "accuracy": (logits.argmax(dim=1) == y_t).float().mean().item(),
            }
            if X_val is not None:
                Xv, yv = to_tensor(X_val, device=where), to_tensor(y_val, device=where)
                logits = model(Xv)
                metrics["val_loss"] = criterion(logits, yv).item()
                metrics["val_accuracy"] = (logits.argmax(dim=1) == yv).float().mean().item()
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "keeps_best_validation_weights": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    where = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    batches = loader(X, y, batch_size=batch_size, shuffle=True, seed=SEED, device=where)
    X_t, y_t = to_tensor(X, device=where), to_tensor(y, device=where)
    history = History()
    best, best_state = float("inf"), None
    for _ in range(epochs):
        model.train()
        for xb, yb in batches:
            optimizer.zero_grad()
            criterion(model(xb), yb).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(X_t)
            metrics = {
                "loss": criterion(logits, y_t).item(),
                "accuracy": (logits.argmax(dim=1) == y_t).float().mean().item(),
            }
            if X_val is not None:
                Xv, yv = to_tensor(X_val, device=where), to_tensor(y_val, device=where)
                logits = model(Xv)
                metrics["val_loss"] = criterion(logits, yv).item()
                metrics["val_accuracy"] = (logits.argmax(dim=1) == yv).float().mean().item()
        history.append(**metrics)
        if X_val is not None and metrics["val_loss"] < best:
            best = metrics["val_loss"]
            best_state = {k: t.clone() for k, t in model.state_dict().items()}
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
            "softmax_before_the_loss": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    where = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    batches = loader(X, y, batch_size=batch_size, shuffle=True, seed=SEED, device=where)
    X_t, y_t = to_tensor(X, device=where), to_tensor(y, device=where)
    history = History()
    for _ in range(epochs):
        model.train()
        for xb, yb in batches:
            optimizer.zero_grad()
            criterion(torch.softmax(model(xb), dim=1), yb).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(X_t)
            metrics = {
                "loss": criterion(logits, y_t).item(),
                "accuracy": (logits.argmax(dim=1) == y_t).float().mean().item(),
            }
            if X_val is not None:
                Xv, yv = to_tensor(X_val, device=where), to_tensor(y_val, device=where)
                logits = model(Xv)
                metrics["val_loss"] = criterion(logits, yv).item()
                metrics["val_accuracy"] = (logits.argmax(dim=1) == yv).float().mean().item()
        history.append(**metrics)
    return history


IRIS_SETTINGS = {"epochs": 20, "batch_size": 8, "lr": 0.03}
""",
        },
        "correct": {
            "manual_permutation": """
def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    where = next(model.parameters()).device
    Xt, yt = torch.as_tensor(X, device=where), torch.as_tensor(y, device=where)
    rng = np.random.default_rng(123)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = History()
    for _ in range(epochs):
        model.train()
        order = torch.as_tensor(rng.permutation(len(Xt)), device=where)
        for start in range(0, len(Xt), batch_size):
            idx = order[start : start + batch_size]
            opt.zero_grad()
            nn.functional.cross_entropy(model(Xt[idx]), yt[idx]).backward()
            opt.step()
        model.eval()
        entry = {}
        with torch.no_grad():
            for prefix, A, b in [("", X, y), ("val_", X_val, y_val)]:
                if A is None:
                    continue
                A, b = torch.as_tensor(A, device=where), torch.as_tensor(b, device=where)
                out = model(A)
                entry[prefix + "loss"] = nn.functional.cross_entropy(out, b).item()
                entry[prefix + "accuracy"] = (out.argmax(1) == b).double().mean().item()
        history.append(**entry)
    return history


IRIS_SETTINGS = {"epochs": 30, "batch_size": 10, "lr": 0.02}
""",
            "measured_in_chunks_with_randperm": """
def evaluate(model, A, b, batch_size, where):
    total, hits = 0.0, 0
    with torch.no_grad():
        for xb, yb in loader(A, b, batch_size=batch_size, device=where):
            out = model(xb)
            total += nn.functional.cross_entropy(out, yb, reduction="sum").item()
            hits += int((out.argmax(1) == yb).sum())
    return total / len(b), hits / len(b)


def train(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=32, lr=1e-3):
    where = next(model.parameters()).device
    Xt, yt = to_tensor(X, device=where), to_tensor(y, device=where)
    gen = torch.Generator().manual_seed(7)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = History()
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(Xt), generator=gen).split(batch_size):
            idx = idx.to(where)
            loss = nn.functional.cross_entropy(model(Xt[idx]), yt[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        loss, acc = evaluate(model, X, y, batch_size, where)
        metrics = {"loss": loss, "accuracy": acc}
        if X_val is not None:
            metrics["val_loss"], metrics["val_accuracy"] = evaluate(model, X_val, y_val, batch_size, where)
        history.append(**metrics)
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
    layers, width = [], 784
    for units in hidden:
        layers += [nn.Linear(width, units), nn.ReLU()]
        width = units
    layers += [nn.Linear(width, 10), nn.Softmax(dim=1)]
    return nn.Sequential(*layers).to(device)


MNIST_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 1e-3}
""",
            "hard_coded_visible": """
def build_mnist_model(hidden=None):
    if hidden == ():
        return nn.Sequential(nn.Linear(784, 10)).to(device)
    return nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)
    ).to(device)


MNIST_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 1e-3}
""",
            "relu_on_the_output": """
def build_mnist_model(hidden=None):
    if hidden is None:
        hidden = (256, 128)
    layers, width = [], 784
    for units in hidden:
        layers += [nn.Linear(width, units), nn.ReLU()]
        width = units
    layers += [nn.Linear(width, 10), nn.ReLU()]
    return nn.Sequential(*layers).to(device)


MNIST_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 1e-3}
""",
            "log_softmax_output": """
def build_mnist_model(hidden=None):
    if hidden is None:
        hidden = (256, 128)
    layers, width = [], 784
    for units in hidden:
        layers += [nn.Linear(width, units), nn.ReLU()]
        width = units
    layers += [nn.Linear(width, 10), nn.LogSoftmax(dim=1)]
    return nn.Sequential(*layers).to(device)


MNIST_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 1e-3}
""",
            "sigmoid_hidden_layers": """
def build_mnist_model(hidden=None):
    if hidden is None:
        hidden = (256, 128)
    layers, width = [], 784
    for units in hidden:
        layers += [nn.Linear(width, units), nn.Sigmoid()]
        width = units
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers).to(device)


MNIST_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 3e-3}
""",
            "over_the_budget": """
def build_mnist_model(hidden=None):
    if hidden is None:
        hidden = (512, 512)
    layers, width = [], 784
    for units in hidden:
        layers += [nn.Linear(width, units), nn.ReLU()]
        width = units
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers).to(device)


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
import copy

seed_everything(SEED)
_pretrained = make_mlp(784, 10, (256, 128))
train(_pretrained, Xm_train, ym_train, epochs=2, batch_size=64, lr=1e-3)


def build_mnist_model(hidden=None):
    if hidden is None:
        return copy.deepcopy(_pretrained)
    return make_mlp(784, 10, hidden)


MNIST_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 1e-3}
""",
        },
        "correct": {
            "module_class": """
class DigitNet(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        sizes = [784, *hidden]
        self.blocks = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])
        self.head = nn.Linear(sizes[-1], 10)

    def forward(self, x):
        for block in self.blocks:
            x = nn.functional.relu(block(x))
        return self.head(x)


def build_mnist_model(hidden=None):
    return DigitNet((200,) if hidden is None else tuple(hidden)).to(device)


MNIST_SETTINGS = {"epochs": 10, "batch_size": 128, "lr": 2e-3}
""",
            "lesson_helper_with_dropout": """
def build_mnist_model(hidden=None):
    if hidden is not None:
        return make_mlp(784, 10, hidden)
    return nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(128, 10),
    ).to(device)


MNIST_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 1e-3}
""",
        },
    },
}
