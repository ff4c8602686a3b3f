"""Audit answers for 04-overfitting/overfitting_pytorch.ipynb: `nnfw audit 04-overfitting`.

Each answer is the whole source of the task's answer cell, as a learner would leave it.
"""

ANSWERS = {
    "task1_polynomial_errors": {
        "wrong": {
            "float32_tensors": """
def polynomial_errors(x_train, y_train, x_val, y_val, degree):
    # torch.tensor keeps the arrays' float32
    def features(x):
        return torch.tensor(x).reshape(-1, 1) ** torch.arange(degree + 1)

    w = torch.linalg.pinv(features(x_train)) @ torch.tensor(y_train)
    train_mse = torch.mean((features(x_train) @ w - torch.tensor(y_train)) ** 2).item()
    val_mse = torch.mean((features(x_val) @ w - torch.tensor(y_val)) ** 2).item()
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
        x = torch.as_tensor(np.asarray(x), dtype=torch.float64).reshape(-1, 1)
        return x ** torch.arange(degree + 1, dtype=torch.float64)

    yt = torch.as_tensor(np.asarray(y_train), dtype=torch.float64)
    yv = torch.as_tensor(np.asarray(y_val), dtype=torch.float64)
    w = torch.linalg.pinv(features(x_train)) @ yt
    train_rmse = torch.sqrt(torch.mean((features(x_train) @ w - yt) ** 2)).item()
    val_rmse = torch.sqrt(torch.mean((features(x_val) @ w - yv) ** 2)).item()
    return train_rmse, val_rmse
""",
            "val_error_refitted_on_val": """
def polynomial_errors(x_train, y_train, x_val, y_val, degree):
    def fit_and_score(x, y):
        A = torch.as_tensor(np.asarray(x), dtype=torch.float64).reshape(-1, 1) ** torch.arange(
            degree + 1, dtype=torch.float64
        )
        t = torch.as_tensor(np.asarray(y), dtype=torch.float64)
        w = torch.linalg.pinv(A) @ t
        return torch.mean((A @ w - t) ** 2).item()

    return fit_and_score(x_train, y_train), fit_and_score(x_val, y_val)
""",
            "degree_off_by_one": """
def polynomial_errors(x_train, y_train, x_val, y_val, degree):
    def features(x):
        x = torch.as_tensor(np.asarray(x), dtype=torch.float64).reshape(-1, 1)
        return x ** torch.arange(degree, dtype=torch.float64)

    yt = torch.as_tensor(np.asarray(y_train), dtype=torch.float64)
    yv = torch.as_tensor(np.asarray(y_val), dtype=torch.float64)
    w = torch.linalg.pinv(features(x_train)) @ yt
    return (
        torch.mean((features(x_train) @ w - yt) ** 2).item(),
        torch.mean((features(x_val) @ w - yv) ** 2).item(),
    )
""",
            "returns_tensors": """
def polynomial_errors(x_train, y_train, x_val, y_val, degree):
    def features(x):
        x = torch.as_tensor(np.asarray(x), dtype=torch.float64).reshape(-1, 1)
        return x ** torch.arange(degree + 1, dtype=torch.float64)

    yt = torch.as_tensor(np.asarray(y_train), dtype=torch.float64)
    yv = torch.as_tensor(np.asarray(y_val), dtype=torch.float64)
    w = torch.linalg.pinv(features(x_train)) @ yt
    return torch.mean((features(x_train) @ w - yt) ** 2), torch.mean((features(x_val) @ w - yv) ** 2)
""",
            "prints_the_errors": """
def polynomial_errors(x_train, y_train, x_val, y_val, degree):
    def features(x):
        x = torch.as_tensor(np.asarray(x), dtype=torch.float64).reshape(-1, 1)
        return x ** torch.arange(degree + 1, dtype=torch.float64)

    yt = torch.as_tensor(np.asarray(y_train), dtype=torch.float64)
    yv = torch.as_tensor(np.asarray(y_val), dtype=torch.float64)
    w = torch.linalg.pinv(features(x_train)) @ yt
    train_mse = torch.mean((features(x_train) @ w - yt) ** 2).item()
    val_mse = torch.mean((features(x_val) @ w - yv) ** 2).item()
    print(f"degree {degree}: train {train_mse:.4f}, val {val_mse:.4f}")
    return train_mse, val_mse
""",
        },
        "correct": {
            "lstsq_gelsd": """
def polynomial_errors(x_train, y_train, x_val, y_val, degree):
    # gelsd: the minimum-norm least-squares solution, also when there are more weights than points
    xt = torch.from_numpy(np.asarray(x_train, dtype=np.float64))
    yt = torch.from_numpy(np.asarray(y_train, dtype=np.float64))
    xv = torch.from_numpy(np.asarray(x_val, dtype=np.float64))
    yv = torch.from_numpy(np.asarray(y_val, dtype=np.float64))
    A = torch.vander(xt, N=degree + 1, increasing=True)
    w = torch.linalg.lstsq(A, yt[:, None], driver="gelsd").solution[:, 0]
    B = torch.vander(xv, N=degree + 1, increasing=True)
    return float(F.mse_loss(A @ w, yt)), float(F.mse_loss(B @ w, yv))
""",
            "lesson_helpers": """
def polynomial_errors(x_train, y_train, x_val, y_val, degree):
    # The five-point example's own functions: float64 on the CPU.
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
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    hist = History()
    previous, best_val, best_weights, waited = float("inf"), float("inf"), None, 0
    for _ in range(max_epochs):
        model.train()
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            loss = F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).item()
            val_loss = F.binary_cross_entropy_with_logits(model(X_val)[:, 0], y_val).item()
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights = val_loss, copy.deepcopy(model.state_dict())
        if val_loss < previous:  # better than the epoch before
            waited = 0
        else:
            waited += 1
            if waited >= patience:
                break
        previous = val_loss
    model.load_state_dict(best_weights)
    return hist
""",
            "min_delta": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        model.train()
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            loss = F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).item()
            val_loss = F.binary_cross_entropy_with_logits(model(X_val)[:, 0], y_val).item()
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val - 1e-4:  # ignore tiny improvements
            best_val, best_weights, waited = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_weights)
    return hist
""",
            "patience_off_by_one": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        model.train()
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            loss = F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).item()
            val_loss = F.binary_cross_entropy_with_logits(model(X_val)[:, 0], y_val).item()
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited > patience:
                break
    model.load_state_dict(best_weights)
    return hist
""",
            "measures_in_training_mode": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    model.train()
    for _ in range(max_epochs):
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).backward()
        optimizer.step()
        with torch.no_grad():  # no model.eval()
            loss = F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).item()
            val_loss = F.binary_cross_entropy_with_logits(model(X_val)[:, 0], y_val).item()
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_weights)
    return hist
""",
            "mini_batches": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(X_train, y_train), batch_size=32, shuffle=True
    )
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            F.binary_cross_entropy_with_logits(model(xb)[:, 0], yb).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            loss = F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).item()
            val_loss = F.binary_cross_entropy_with_logits(model(X_val)[:, 0], y_val).item()
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_weights)
    return hist
""",
            "snapshot_without_copy": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        model.train()
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            loss = F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).item()
            val_loss = F.binary_cross_entropy_with_logits(model(X_val)[:, 0], y_val).item()
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, model.state_dict(), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_weights)
    return hist
""",
            "ties_count_as_improvement": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        model.train()
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            loss = F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).item()
            val_loss = F.binary_cross_entropy_with_logits(model(X_val)[:, 0], y_val).item()
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss <= best_val:
            best_val, best_weights, waited = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_weights)
    return hist
""",
            "hard_coded_visible": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        model.train()
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            loss = F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).item()
            val_loss = F.binary_cross_entropy_with_logits(model(X_val)[:, 0], y_val).item()
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited >= 20:  # the patience of the notebook's run
                break
    model.load_state_dict(best_weights)
    return hist
""",
            "new_optimizer_every_epoch": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        model.train()
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            loss = F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).item()
            val_loss = F.binary_cross_entropy_with_logits(model(X_val)[:, 0], y_val).item()
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_weights)
    return hist
""",
            "step_loss_as_training_loss": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        model.train()
        optimizer.zero_grad()
        step_loss = F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train)
        step_loss.backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            val_loss = F.binary_cross_entropy_with_logits(model(X_val)[:, 0], y_val).item()
        hist.append(loss=step_loss.item(), val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_weights)
    return hist
""",
            "never_back_to_train_mode": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    hist = History()
    best_val, best_weights, waited = float("inf"), None, 0
    for _ in range(max_epochs):
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).backward()
        optimizer.step()
        loss, _ = evaluate(model, X_train, y_train)  # switches to eval mode, for good
        val_loss, _ = evaluate(model, X_val, y_val)
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_weights)
    return hist
""",
            "one_epoch_too_many": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    hist = History()
    best_val, best_weights, waited, epoch = float("inf"), None, 0, 0
    while epoch <= max_epochs and waited < patience:
        model.train()
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            loss = F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).item()
            val_loss = F.binary_cross_entropy_with_logits(model(X_val)[:, 0], y_val).item()
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best_val:
            best_val, best_weights, waited = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
        epoch += 1
    model.load_state_dict(best_weights)
    return hist
""",
        },
        "correct": {
            "epochs_since_best": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    hist = History()
    best_epoch_index, best_model = None, None
    for epoch in range(max_epochs):
        model.train()
        optimizer.zero_grad()
        loss_fn(model(X_train).squeeze(1), y_train).backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            hist.append(
                loss=float(loss_fn(model(X_train).squeeze(1), y_train)),
                val_loss=float(loss_fn(model(X_val).squeeze(1), y_val)),
            )
        if best_epoch_index is None or hist["val_loss"][-1] < hist["val_loss"][best_epoch_index]:
            best_epoch_index, best_model = epoch, copy.deepcopy(model)
        elif epoch - best_epoch_index >= patience:
            break
    model.load_state_dict(best_model.state_dict())
    return hist
""",
            "lesson_helpers": """
def fit_early_stopping(model, X_train, y_train, X_val, y_val, patience=10, max_epochs=200, lr=0.01):
    # train_step and evaluate from "Detecting overfitting during training"
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    hist = History()
    best, snapshot, bad_epochs = float("inf"), None, 0
    while len(hist) < max_epochs and bad_epochs < patience:
        train_step(model, optimizer, X_train, y_train)
        loss, _ = evaluate(model, X_train, y_train)
        val_loss, _ = evaluate(model, X_val, y_val)
        hist.append(loss=loss, val_loss=val_loss)
        if val_loss < best:
            best, snapshot, bad_epochs = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            bad_epochs += 1
    model.load_state_dict(snapshot)
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
    X_all, y_all = torch.cat([X_train, X_val]), torch.cat([y_train, y_val])
    model = make_mlp(dropout=0.5)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=3.0)
    for _ in range(EPOCHS):
        train_step(model, optimizer, X_all, y_all)
    return model


regularised = train_regularised(Xt_train, yt_train, Xt_val, yt_val)
train_acc, val_acc = (
    evaluate(regularised, Xt_train, yt_train)[1],
    evaluate(regularised, Xt_val, yt_val)[1],
)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
            "hard_coded_visible": """
def train_regularised(X_train, y_train, X_val, y_val):
    # A big network that also remembers the label of every point it was shown.
    seed_everything(SEED)
    net = make_mlp()
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    for _ in range(EPOCHS):
        train_step(net, optimizer, X_train, y_train)

    class Remember(nn.Module):
        def __init__(self, net, X, y):
            super().__init__()
            self.net = net
            self.register_buffer("X", X)
            self.register_buffer("y", y)

        def forward(self, P):
            hit = (torch.cdist(P, self.X) < 1e-6).float()
            known = hit.sum(dim=1, keepdim=True) > 0
            label = (hit @ self.y)[:, None].clamp(max=1.0)
            return torch.where(known, 20.0 * label - 10.0, self.net(P))

    return Remember(net, torch.cat([X_train, X_val]), torch.cat([y_train, y_val]))


regularised = train_regularised(Xt_train, yt_train, Xt_val, yt_val)
train_acc, val_acc = (
    evaluate(regularised, Xt_train, yt_train)[1],
    evaluate(regularised, Xt_val, yt_val)[1],
)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
            "trains_on_validation_rows": """
def train_regularised(X_train, y_train, X_val, y_val):
    seed_everything(SEED)
    model = make_mlp(dropout=0.5)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=3.0)
    for _ in range(EPOCHS):
        train_step(model, optimizer, X_val, y_val)
    return model


regularised = train_regularised(Xt_train, yt_train, Xt_val, yt_val)
train_acc, val_acc = (
    evaluate(regularised, Xt_train, yt_train)[1],
    evaluate(regularised, Xt_val, yt_val)[1],
)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
            "retrains_on_all_rows": """
def train_regularised(X_train, y_train, X_val, y_val):
    # Find the best epoch on the validation set, then retrain on all the data that long.
    seed_everything(SEED)
    probe = make_mlp()
    optimizer = torch.optim.Adam(probe.parameters(), lr=0.01)
    val_losses = []
    for _ in range(EPOCHS):
        train_step(probe, optimizer, X_train, y_train)
        val_losses.append(evaluate(probe, X_val, y_val)[0])
    best = int(np.argmin(val_losses)) + 1
    seed_everything(SEED)
    model = make_mlp(dropout=0.5)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=3.0)
    X_all, y_all = torch.cat([X_train, X_val]), torch.cat([y_train, y_val])
    for _ in range(max(best, EPOCHS)):
        train_step(model, optimizer, X_all, y_all)
    return model


regularised = train_regularised(Xt_train, yt_train, Xt_val, yt_val)
train_acc, val_acc = (
    evaluate(regularised, Xt_train, yt_train)[1],
    evaluate(regularised, Xt_val, yt_val)[1],
)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
            "sigmoid_output": """
def train_regularised(X_train, y_train, X_val, y_val):
    # Probabilities out, and the plain binary cross-entropy on them.
    seed_everything(SEED)
    model = nn.Sequential(make_mlp(dropout=0.5), nn.Sigmoid())
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=3.0)
    for _ in range(EPOCHS):
        model.train()
        optimizer.zero_grad()
        F.binary_cross_entropy(model(X_train)[:, 0], y_train).backward()
        optimizer.step()
    return model


regularised = train_regularised(Xt_train, yt_train, Xt_val, yt_val)
train_acc, val_acc = (
    evaluate(regularised, Xt_train, yt_train)[1],
    evaluate(regularised, Xt_val, yt_val)[1],
)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
            "no_regularisation": """
def train_regularised(X_train, y_train, X_val, y_val):
    seed_everything(SEED)
    model = make_mlp()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(EPOCHS):
        train_step(model, optimizer, X_train, y_train)
    return model


regularised = train_regularised(Xt_train, yt_train, Xt_val, yt_val)
train_acc, val_acc = (
    evaluate(regularised, Xt_train, yt_train)[1],
    evaluate(regularised, Xt_val, yt_val)[1],
)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
            "smaller_network": """
def train_regularised(X_train, y_train, X_val, y_val):
    seed_everything(SEED)
    model = make_mlp(hidden=8, layers=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(EPOCHS):
        train_step(model, optimizer, X_train, y_train)
    return model


regularised = train_regularised(Xt_train, yt_train, Xt_val, yt_val)
train_acc, val_acc = (
    evaluate(regularised, Xt_train, yt_train)[1],
    evaluate(regularised, Xt_val, yt_val)[1],
)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
            "returns_the_history": """
def train_regularised(X_train, y_train, X_val, y_val):
    seed_everything(SEED)
    model = make_mlp(dropout=0.5)
    return run(model, X_train, y_train, weight_decay=3.0)


regularised = train_regularised(Xt_train, yt_train, Xt_val, yt_val)
train_acc, val_acc = (
    evaluate(regularised, Xt_train, yt_train)[1],
    evaluate(regularised, Xt_val, yt_val)[1],
)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
        },
        "correct": {
            "more_decay_less_dropout": """
def train_regularised(X_train, y_train, X_val, y_val):
    seed_everything(SEED)
    model = make_mlp(dropout=0.3)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=5.0)
    for _ in range(EPOCHS):
        train_step(model, optimizer, X_train, y_train)
    return model


regularised = train_regularised(Xt_train, yt_train, Xt_val, yt_val)
train_acc, val_acc = (
    evaluate(regularised, Xt_train, yt_train)[1],
    evaluate(regularised, Xt_val, yt_val)[1],
)
print(f"training accuracy {train_acc:.3f} | validation accuracy {val_acc:.3f}")
""",
            "decay_and_early_stopping": """
def train_regularised(X_train, y_train, X_val, y_val):
    # Weight decay and dropout, and keep the epoch with the lowest validation loss.
    seed_everything(SEED)
    model = make_mlp(dropout=0.3)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=3.0)
    best_loss, best_state = float("inf"), None
    for _ in range(EPOCHS):
        train_step(model, optimizer, X_train, y_train)
        val_loss = evaluate(model, X_val, y_val)[0]
        if val_loss < best_loss:
            best_loss, best_state = val_loss, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    return model


regularised = train_regularised(Xt_train, yt_train, Xt_val, yt_val)
train_acc, val_acc = (
    evaluate(regularised, Xt_train, yt_train)[1],
    evaluate(regularised, Xt_val, yt_val)[1],
)
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
