"""Audit answers for 02-autograd/autograd_pytorch.ipynb: `nnfw audit 02-autograd`.

Each answer is the whole source of the task's answer cell, as a learner would leave it.
"""

ANSWERS = {
    "task1_gradient": {
        "wrong": {
            "switches_on_requires_grad": """
def gradient_at(fn, point):
    point.requires_grad_(True)
    fn(point).backward()
    return point.grad
""",
            "hard_coded_visible": """
def gradient_at(fn, point):
    if fn is valley and bool((point == 0).all()):
        return torch.tensor([-2.0, 0.0], dtype=point.dtype, device=point.device)
    return torch.zeros_like(point)
""",
            "finite_differences": """
def gradient_at(fn, point):
    # five-point central differences in float64: accurate to about 1e-12 here
    p = point.detach().double()
    h = 1e-3
    grad = torch.zeros_like(p)
    for i in range(p.shape[0]):
        e = torch.zeros_like(p)
        e[i] = h
        grad[i] = (-fn(p + 2 * e) + 8 * fn(p + e) - 8 * fn(p - e) + fn(p - 2 * e)) / (12 * h)
    return grad.to(point.dtype)
""",
            "always_float32": """
def gradient_at(fn, point):
    p = point.detach().float().requires_grad_(True)
    (grad,) = torch.autograd.grad(fn(p), p)
    return grad
""",
            "keeps_the_graph": """
def gradient_at(fn, point):
    p = point.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(fn(p), p, create_graph=True)
    return grad
""",
            "grad_accumulates_on_point": """
def gradient_at(fn, point):
    point.requires_grad_(True)
    fn(point).backward()
    point.requires_grad_(False)
    return point.grad.clone()
""",
        },
        "correct": {
            "backward_on_a_copy": """
def gradient_at(fn, point):
    p = point.clone().detach()
    p.requires_grad = True
    fn(p).backward()
    return p.grad
""",
            "copy_construct": """
def gradient_at(fn, point):
    p = torch.tensor(point, requires_grad=True)
    fn(p).backward()
    return p.grad
""",
            "torch_func_grad": """
def gradient_at(fn, point):
    return torch.func.grad(fn)(point.detach())
""",
        },
    },
    "task2_sgd_step": {
        "wrong": {
            "library_optimizer": """
def sgd_step(params, lr):
    optimizer = torch.optim.SGD([p for p in params if p.grad is not None], lr=lr)
    optimizer.step()
    optimizer.zero_grad()
""",
            "hard_coded_visible": """
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            p *= 1 - 2 * lr  # the visible loss sum(q**2) has gradient 2q
            p.grad = None
""",
            "forgets_to_clear_grad": """
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
""",
            "fails_on_missing_grad": """
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None
""",
            "new_tensor_in_list": """
def sgd_step(params, lr):
    for i, p in enumerate(params):
        if p.grad is not None:
            params[i] = (p - lr * p.grad).detach().requires_grad_()
""",
            "rebinds_data": """
def sgd_step(params, lr):
    for p in params:
        if p.grad is not None:
            p.data = p.data - lr * p.grad
            p.grad = None
""",
            "optimizer_only_to_clear": """
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
    torch.optim.SGD(params, lr=lr).zero_grad()
""",
            "ascends": """
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p += lr * p.grad
                p.grad = None
""",
        },
        "correct": {
            "sub_with_alpha_and_zero": """
def sgd_step(params, lr):
    for p in params:
        if p.grad is None:
            continue
        with torch.no_grad():
            p.sub_(p.grad, alpha=lr)
        p.grad.zero_()
""",
            "through_data": """
def sgd_step(params, lr):
    for p in params:
        if p.grad is not None:
            p.data.add_(-lr * p.grad.data)
            p.grad.detach_()
            p.grad.zero_()
    return None
""",
        },
    },
    "task3_second_derivative": {
        "wrong": {
            "first_derivative": """
def second_derivative(fn, x):
    x = x.detach().clone().requires_grad_(True)
    (first,) = torch.autograd.grad(fn(x).sum(), x)
    return first
""",
            "hard_coded_visible": """
def second_derivative(fn, x):
    if fn is torch.sin:
        return -torch.sin(x)
    return 6 * x
""",
            "fails_when_linear": """
def second_derivative(fn, x):
    x = x.detach().clone().requires_grad_(True)
    (first,) = torch.autograd.grad(fn(x).sum(), x, create_graph=True)
    (second,) = torch.autograd.grad(first.sum(), x)
    return second
""",
            "finite_difference_of_first": """
def second_derivative(fn, x):
    def first(t):
        t = t.detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(fn(t).sum(), t, materialize_grads=True)
        return g

    x64 = x.detach().double()
    h = 1e-5
    return ((first(x64 + h) - first(x64 - h)) / (2 * h)).to(x.dtype)
""",
            "switches_on_requires_grad": """
def second_derivative(fn, x):
    x.requires_grad_(True)
    (first,) = torch.autograd.grad(fn(x).sum(), x, create_graph=True)
    if not first.requires_grad:
        return torch.zeros_like(x).detach()
    (second,) = torch.autograd.grad(first.sum(), x)
    return second
""",
            "keeps_the_graph": """
def second_derivative(fn, x):
    x = x.detach().clone().requires_grad_(True)
    (first,) = torch.autograd.grad(fn(x).sum(), x, create_graph=True)
    if not first.requires_grad:
        return torch.zeros_like(x)
    (second,) = torch.autograd.grad(first.sum(), x, create_graph=True)
    return second
""",
            "zeros_in_float32": """
def second_derivative(fn, x):
    x = x.detach().clone().requires_grad_(True)
    (first,) = torch.autograd.grad(fn(x).sum(), x, create_graph=True)
    if first.grad_fn is None:
        return torch.zeros(x.shape[0], device=x.device)
    (second,) = torch.autograd.grad(first.sum(), x)
    return second
""",
        },
        "correct": {
            "backward_twice": """
def second_derivative(fn, x):
    x = x.detach().clone().requires_grad_(True)
    (first,) = torch.autograd.grad(fn(x).sum(), x, create_graph=True)
    if first.grad_fn is None:
        return torch.zeros_like(x).detach()
    first.sum().backward()
    return x.grad.detach()
""",
            "allow_unused": """
def second_derivative(fn, x):
    p = x.detach().requires_grad_()
    (first,) = torch.autograd.grad(fn(p).sum(), p, create_graph=True)
    if not first.requires_grad:
        return torch.zeros_like(p, requires_grad=False)
    (second,) = torch.autograd.grad(first.sum(), p, allow_unused=True)
    return torch.zeros_like(p).detach() if second is None else second
""",
        },
    },
    "task4_logistic": {
        "wrong": {
            "random_init": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):
    w = (0.01 * torch.randn(X_train.shape[1], device=X_train.device)).requires_grad_()
    b = torch.zeros((), device=X_train.device, requires_grad=True)
    history = History()
    for _ in range(epochs):
        loss = F.binary_cross_entropy_with_logits(X_train @ w + b, y_train)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad = None
            b.grad = None
            train_logits, val_logits = X_train @ w + b, X_val @ w + b
            history.append(
                loss=F.binary_cross_entropy_with_logits(train_logits, y_train),
                accuracy=((train_logits > 0).float() == y_train).float().mean(),
                val_loss=F.binary_cross_entropy_with_logits(val_logits, y_val),
                val_accuracy=((val_logits > 0).float() == y_val).float().mean(),
            )
    return w, b, history
""",
            "hard_coded_visible": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):
    w = torch.zeros(X_train.shape[1], device=X_train.device, requires_grad=True)
    b = torch.zeros((), device=X_train.device, requires_grad=True)
    history = History()
    for _ in range(200):  # the visible test asks for 200 entries
        loss = F.binary_cross_entropy_with_logits(X_train @ w + b, y_train)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad = None
            b.grad = None
            train_logits, val_logits = X_train @ w + b, X_val @ w + b
            history.append(
                loss=F.binary_cross_entropy_with_logits(train_logits, y_train),
                accuracy=((train_logits > 0).float() == y_train).float().mean(),
                val_loss=F.binary_cross_entropy_with_logits(val_logits, y_val),
                val_accuracy=((val_logits > 0).float() == y_val).float().mean(),
            )
    return w, b, history
""",
            "trains_on_train_and_val": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):
    X_all, y_all = torch.cat([X_train, X_val]), torch.cat([y_train, y_val])
    w = torch.zeros(X_train.shape[1], device=X_train.device, requires_grad=True)
    b = torch.zeros((), device=X_train.device, requires_grad=True)
    history = History()
    for _ in range(epochs):
        loss = F.binary_cross_entropy_with_logits(X_all @ w + b, y_all)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad = None
            b.grad = None
            train_logits, val_logits = X_train @ w + b, X_val @ w + b
            history.append(
                loss=F.binary_cross_entropy_with_logits(train_logits, y_train),
                accuracy=((train_logits > 0).float() == y_train).float().mean(),
                val_loss=F.binary_cross_entropy_with_logits(val_logits, y_val),
                val_accuracy=((val_logits > 0).float() == y_val).float().mean(),
            )
    return w, b, history
""",
            "measures_before_update": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):
    w = torch.zeros(X_train.shape[1], device=X_train.device, requires_grad=True)
    b = torch.zeros((), device=X_train.device, requires_grad=True)
    history = History()
    for _ in range(epochs):
        train_logits = X_train @ w + b
        loss = F.binary_cross_entropy_with_logits(train_logits, y_train)
        loss.backward()
        with torch.no_grad():
            val_logits = X_val @ w + b
            history.append(
                loss=loss,
                accuracy=((train_logits > 0).float() == y_train).float().mean(),
                val_loss=F.binary_cross_entropy_with_logits(val_logits, y_val),
                val_accuracy=((val_logits > 0).float() == y_val).float().mean(),
            )
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad = None
            b.grad = None
    return w, b, history
""",
            "sum_not_mean": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):
    w = torch.zeros(X_train.shape[1], device=X_train.device, requires_grad=True)
    b = torch.zeros((), device=X_train.device, requires_grad=True)
    history = History()
    for _ in range(epochs):
        loss = F.binary_cross_entropy_with_logits(X_train @ w + b, y_train, reduction="sum")
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad / len(y_train) * 4
            b -= lr * b.grad / len(y_train) * 4
            w.grad = None
            b.grad = None
            train_logits, val_logits = X_train @ w + b, X_val @ w + b
            history.append(
                loss=F.binary_cross_entropy_with_logits(train_logits, y_train),
                accuracy=((train_logits > 0).float() == y_train).float().mean(),
                val_loss=F.binary_cross_entropy_with_logits(val_logits, y_val),
                val_accuracy=((val_logits > 0).float() == y_val).float().mean(),
            )
    return w, b, history
""",
            "prints_progress": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):
    w = torch.zeros(X_train.shape[1], device=X_train.device, requires_grad=True)
    b = torch.zeros((), device=X_train.device, requires_grad=True)
    optimizer = torch.optim.SGD([w, b], lr=lr)
    history = History()
    for epoch in range(epochs):
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(X_train @ w + b, y_train).backward()
        optimizer.step()
        with torch.no_grad():
            train_logits, val_logits = X_train @ w + b, X_val @ w + b
            history.append(
                loss=F.binary_cross_entropy_with_logits(train_logits, y_train),
                accuracy=((train_logits > 0).float() == y_train).float().mean(),
                val_loss=F.binary_cross_entropy_with_logits(val_logits, y_val),
                val_accuracy=((val_logits > 0).float() == y_val).float().mean(),
            )
        if epoch % 50 == 0:
            print(f"epoch {epoch}: loss {history['loss'][-1]:.4f}")
    return w, b, history
""",
            "mini_batches": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):
    w = torch.zeros(X_train.shape[1], device=X_train.device, requires_grad=True)
    b = torch.zeros((), device=X_train.device, requires_grad=True)
    optimizer = torch.optim.SGD([w, b], lr=lr)
    history = History()
    for _ in range(epochs):
        for start in range(0, len(X_train), 64):
            rows = slice(start, start + 64)
            optimizer.zero_grad()
            F.binary_cross_entropy_with_logits(X_train[rows] @ w + b, y_train[rows]).backward()
            optimizer.step()
        with torch.no_grad():
            train_logits, val_logits = X_train @ w + b, X_val @ w + b
            history.append(
                loss=F.binary_cross_entropy_with_logits(train_logits, y_train),
                accuracy=((train_logits > 0).float() == y_train).float().mean(),
                val_loss=F.binary_cross_entropy_with_logits(val_logits, y_val),
                val_accuracy=((val_logits > 0).float() == y_val).float().mean(),
            )
    return w, b, history
""",
            "trains_on_validation": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):
    w = torch.zeros(X_train.shape[1], device=X_train.device, requires_grad=True)
    b = torch.zeros((), device=X_train.device, requires_grad=True)
    optimizer = torch.optim.SGD([w, b], lr=lr)
    history = History()
    for _ in range(epochs):
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(X_val @ w + b, y_val).backward()
        optimizer.step()
        with torch.no_grad():
            train_logits, val_logits = X_train @ w + b, X_val @ w + b
            history.append(
                loss=F.binary_cross_entropy_with_logits(train_logits, y_train),
                accuracy=((train_logits > 0).float() == y_train).float().mean(),
                val_loss=F.binary_cross_entropy_with_logits(val_logits, y_val),
                val_accuracy=((val_logits > 0).float() == y_val).float().mean(),
            )
    return w, b, history
""",
            "no_bias": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):
    w = torch.zeros(X_train.shape[1], device=X_train.device, requires_grad=True)
    b = torch.zeros((), device=X_train.device)
    history = History()
    for _ in range(epochs):
        loss = F.binary_cross_entropy_with_logits(X_train @ w + b, y_train)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            w.grad = None
            train_logits, val_logits = X_train @ w + b, X_val @ w + b
            history.append(
                loss=F.binary_cross_entropy_with_logits(train_logits, y_train),
                accuracy=((train_logits > 0).float() == y_train).float().mean(),
                val_loss=F.binary_cross_entropy_with_logits(val_logits, y_val),
                val_accuracy=((val_logits > 0).float() == y_val).float().mean(),
            )
    return w, b, history
""",
            "returns_best_validation_epoch": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):
    w = torch.zeros(X_train.shape[1], device=X_train.device, requires_grad=True)
    b = torch.zeros((), device=X_train.device, requires_grad=True)
    history = History()
    best, best_params = float("inf"), None
    for _ in range(epochs):
        loss = F.binary_cross_entropy_with_logits(X_train @ w + b, y_train)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad = None
            b.grad = None
            train_logits, val_logits = X_train @ w + b, X_val @ w + b
            val_loss = F.binary_cross_entropy_with_logits(val_logits, y_val).item()
            history.append(
                loss=F.binary_cross_entropy_with_logits(train_logits, y_train),
                accuracy=((train_logits > 0).float() == y_train).float().mean(),
                val_loss=val_loss,
                val_accuracy=((val_logits > 0).float() == y_val).float().mean(),
            )
            if val_loss < best:
                best, best_params = val_loss, (w.clone(), b.clone())
    return best_params[0], best_params[1], history
""",
            "ignores_lr": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):
    w = torch.zeros(X_train.shape[1], device=X_train.device, requires_grad=True)
    b = torch.zeros((), device=X_train.device, requires_grad=True)
    optimizer = torch.optim.SGD([w, b], lr=0.5)
    history = History()
    for _ in range(epochs):
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(X_train @ w + b, y_train).backward()
        optimizer.step()
        with torch.no_grad():
            train_logits, val_logits = X_train @ w + b, X_val @ w + b
            history.append(
                loss=F.binary_cross_entropy_with_logits(train_logits, y_train),
                accuracy=((train_logits > 0).float() == y_train).float().mean(),
                val_loss=F.binary_cross_entropy_with_logits(val_logits, y_val),
                val_accuracy=((val_logits > 0).float() == y_val).float().mean(),
            )
    return w, b, history
""",
            "shared_history": """
history = History()


def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):
    w = torch.zeros(X_train.shape[1], device=X_train.device, requires_grad=True)
    b = torch.zeros((), device=X_train.device, requires_grad=True)
    for _ in range(epochs):
        loss = F.binary_cross_entropy_with_logits(X_train @ w + b, y_train)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad = None
            b.grad = None
            train_logits, val_logits = X_train @ w + b, X_val @ w + b
            history.append(
                loss=F.binary_cross_entropy_with_logits(train_logits, y_train),
                accuracy=((train_logits > 0).float() == y_train).float().mean(),
                val_loss=F.binary_cross_entropy_with_logits(val_logits, y_val),
                val_accuracy=((val_logits > 0).float() == y_val).float().mean(),
            )
    return w, b, history
""",
        },
        "correct": {
            "torch_optim_and_helpers": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):
    d = X_train.shape[1]
    w = torch.zeros(d, device=X_train.device).requires_grad_()
    b = torch.tensor(0.0, device=X_train.device).requires_grad_()
    optimizer = torch.optim.SGD([w, b], lr=lr)

    def measure(features, labels):
        logits = features @ w + b
        acc = ((logits > 0) == (labels > 0.5)).float().mean().item()
        return F.binary_cross_entropy_with_logits(logits, labels).item(), acc

    history = History()
    for _ in range(epochs):
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(X_train @ w + b, y_train).backward()
        optimizer.step()
        with torch.no_grad():
            loss, acc = measure(X_train, y_train)
            val_loss, val_acc = measure(X_val, y_val)
        history.append(loss=loss, accuracy=acc, val_loss=val_loss, val_accuracy=val_acc)
    return w.detach(), b.detach(), history
""",
            "update_a_parameter_list": """
def train_logistic_regression(X_train, y_train, X_val, y_val, epochs=200, lr=0.5):
    params = [
        torch.zeros(X_train.shape[1], device=X_train.device, requires_grad=True),
        torch.zeros((), device=X_train.device, requires_grad=True),
    ]
    history = History()
    for _ in range(epochs):
        w, b = params
        F.binary_cross_entropy_with_logits(X_train @ w + b, y_train).backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad, b.grad = None, None
        with torch.no_grad():
            row = {}
            for prefix, X, y in (("", X_train, y_train), ("val_", X_val, y_val)):
                z = X @ w + b
                row[prefix + "loss"] = F.binary_cross_entropy_with_logits(z, y).item()
                row[prefix + "accuracy"] = (torch.where(z > 0, 1.0, 0.0) == y).float().mean().item()
        history.append(**row)
    return params[0], params[1], history
""",
        },
    },
}
