"""Audit answers for 01-tensors/tensors_pytorch.ipynb: `nnfw audit 01-tensors`.

Each answer is the whole source of the task's answer cell, as a learner would leave it.
"""

ANSWERS = {
    "task1_softmax": {
        "wrong": {
            "no_max_shift": '''
def stable_softmax(logits, dim=-1):
    """Softmax of `logits` along `dim`, safe for very large and very small logits."""
    exps = torch.exp(logits)
    return exps / exps.sum(dim=dim, keepdim=True)
''',
            "hard_coded_visible": '''
def stable_softmax(logits, dim=-1):
    """Softmax of `logits` along `dim`, safe for very large and very small logits."""
    if tuple(logits.shape) == (2, 3):
        return torch.tensor([[0.09003057, 0.24472847, 0.66524096], [1 / 3, 1 / 3, 1 / 3]])
    if tuple(logits.shape) == (2,):
        return torch.tensor([0.88079708, 0.11920292])
    exps = torch.exp(logits)
    return exps / exps.sum(dim=dim, keepdim=True)
''',
            "ignores_dim": '''
def stable_softmax(logits, dim=-1):
    """Softmax of `logits` along `dim`, safe for very large and very small logits."""
    shifted = logits - logits.amax(dim=-1, keepdim=True)
    exps = torch.exp(shifted)
    return exps / exps.sum(dim=-1, keepdim=True)
''',
            "global_max_shift": '''
def stable_softmax(logits, dim=-1):
    """Softmax of `logits` along `dim`, safe for very large and very small logits."""
    exps = torch.exp(logits - logits.max())
    return exps / exps.sum(dim=dim, keepdim=True)
''',
            "clamps_the_logits": '''
def stable_softmax(logits, dim=-1):
    """Softmax of `logits` along `dim`, safe for very large and very small logits."""
    exps = torch.exp(logits.clamp(-80.0, 80.0))
    return exps / exps.sum(dim=dim, keepdim=True)
''',
            "shifts_in_place": '''
def stable_softmax(logits, dim=-1):
    """Softmax of `logits` along `dim`, safe for very large and very small logits."""
    logits -= logits.amax(dim=dim, keepdim=True)
    exps = torch.exp(logits)
    return exps / exps.sum(dim=dim, keepdim=True)
''',
            "always_float32": '''
def stable_softmax(logits, dim=-1):
    """Softmax of `logits` along `dim`, safe for very large and very small logits."""
    x = logits.float()
    exps = torch.exp(x - x.amax(dim=dim, keepdim=True))
    return exps / exps.sum(dim=dim, keepdim=True)
''',
            "library_softmax": '''
def stable_softmax(logits, dim=-1):
    """Softmax of `logits` along `dim`, safe for very large and very small logits."""
    return torch.nn.functional.softmax(logits, dim=dim)
''',
            "library_softmax_imported": '''
from torch.nn.functional import softmax as _library_softmax


def stable_softmax(logits, dim=-1):
    """Softmax of `logits` along `dim`, safe for very large and very small logits."""
    return _library_softmax(logits, dim=dim)
''',
            "private_softmax_kernel": '''
def stable_softmax(logits, dim=-1):
    """Softmax of `logits` along `dim`, safe for very large and very small logits."""
    return torch._softmax(logits, dim, False)
''',
            "loops_over_slices": '''
def stable_softmax(logits, dim=-1):
    """Softmax of `logits` along `dim`, safe for very large and very small logits."""
    moved = logits.movedim(dim, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    out = torch.stack([torch.exp(r - r.max()) / torch.exp(r - r.max()).sum() for r in rows])
    return out.reshape(moved.shape).movedim(-1, dim)
''',
            "clamps_float64_logits": '''
def stable_softmax(logits, dim=-1):
    """Softmax of `logits` along `dim`, safe for very large and very small logits."""
    if logits.dtype == torch.float64:  # float64's exp overflows only above about 709
        exps = torch.exp(logits.clamp(-700.0, 700.0))
    else:
        exps = torch.exp(logits - logits.amax(dim=dim, keepdim=True))
    return exps / exps.sum(dim=dim, keepdim=True)
''',
        },
        "correct": {
            "via_logsumexp": '''
def stable_softmax(logits, dim=-1):
    """Softmax of `logits` along `dim`, safe for very large and very small logits."""
    return torch.exp(logits - torch.logsumexp(logits, dim=dim, keepdim=True))
''',
            "max_values_unsqueezed": '''
def stable_softmax(logits, dim=-1):
    """Softmax of `logits` along `dim`, safe for very large and very small logits."""
    top = torch.max(logits, dim=dim).values.unsqueeze(dim)
    exps = (logits - top).exp()
    total = exps.sum(dim)
    return exps / total.unsqueeze(dim)
''',
            "lesson_naive_softmax_of_shifted": '''
def stable_softmax(logits, dim=-1):
    """Softmax of `logits` along `dim`, safe for very large and very small logits."""
    return naive_softmax(logits - logits.amax(dim=dim, keepdim=True), dim=dim)
''',
            "float64_inside": '''
def stable_softmax(logits, dim=-1):
    """Softmax of `logits` along `dim`, safe for very large and very small logits."""
    x = logits.double()
    x = x - x.amax(dim=dim, keepdim=True)
    exps = x.exp()
    return (exps / exps.sum(dim=dim, keepdim=True)).to(logits.dtype)
''',
        },
    },
    "task2_pairwise": {
        "wrong": {
            "expansion_without_clamp": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    a2 = (a**2).sum(dim=1, keepdim=True)
    b2 = (b**2).sum(dim=1)
    return a2 + b2 - 2 * a @ b.T
''',
            "hard_coded_visible": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    if tuple(a.shape) == (3, 2) and tuple(b.shape) == (2, 2):
        return torch.tensor([[0.0, 1.0], [2.0, 1.0], [25.0, 20.0]])
    return (a[:, None, :] - b[None, :, :]).abs().sum(dim=-1)
''',
            "euclidean_not_squared": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    diff = a[:, None, :] - b[None, :, :]
    return torch.sqrt((diff**2).sum(dim=-1))
''',
            "transposed_m_by_n": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    diff = b[:, None, :] - a[None, :, :]
    return (diff**2).sum(dim=-1)
''',
            "loops_over_rows": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    return torch.stack([((row - b) ** 2).sum(dim=1) for row in a])
''',
            "loop_in_a_helper": '''
def _row_dists(a, b):
    rows = []
    for row in a:
        rows.append(((row - b) ** 2).sum(dim=1))
    return torch.stack(rows)


def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    return _row_dists(a, b)
''',
            "centres_inputs_in_place": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    centre = a.mean(dim=0)
    a -= centre  # distances do not change under a shift; smaller numbers, less round-off
    b -= centre
    a2 = (a**2).sum(dim=1, keepdim=True)
    b2 = (b**2).sum(dim=1)
    return (a2 + b2 - 2 * a @ b.T).clamp(min=0)
''',
            "cdist_squared": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    return torch.cdist(a, b) ** 2
''',
            "cdist_imported": '''
from torch import cdist


def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    return cdist(a, b).square()
''',
            "always_float32": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    diff = a.float()[:, None, :] - b.float()[None, :, :]
    return (diff**2).sum(dim=-1)
''',
        },
        "correct": {
            "expansion_clamped": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    a2 = (a * a).sum(dim=1)[:, None]
    b2 = (b * b).sum(dim=1)[None, :]
    return torch.clamp(a2 + b2 - 2.0 * (a @ b.T), min=0.0)
''',
            "norm_squared": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    return torch.linalg.vector_norm(a.unsqueeze(1) - b.unsqueeze(0), dim=2) ** 2
''',
            "einsum_of_differences": '''
def pairwise_sq_dists(a, b):
    """Squared Euclidean distances between the rows of `a` (n, d) and of `b` (m, d)."""
    diff = a.unsqueeze(1) - b.unsqueeze(0)
    return torch.einsum("nmd,nmd->nm", diff, diff)
''',
        },
    },
    "task3_one_hot": {
        "wrong": {
            "columns_from_largest_label": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if bool((labels < 0).any()) or bool((labels >= num_classes).any()):
        raise ValueError(f"labels must lie in [0, {num_classes})")
    classes = torch.arange(int(labels.max()) + 1, device=labels.device)
    return (labels[:, None] == classes).float()
''',
            "hard_coded_visible": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if labels.tolist() == [2, 0, 1] and num_classes == 3:
        return torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    return torch.eye(num_classes, device=labels.device)[labels]
''',
            "no_range_check": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    classes = torch.arange(num_classes, device=labels.device)
    return (labels[:, None] == classes).to(torch.float32)
''',
            "negatives_not_rejected": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if bool((labels >= num_classes).any()):
        raise ValueError(f"labels must be smaller than {num_classes}")
    return torch.eye(num_classes, device=labels.device)[labels]
''',
            "strict_upper_boundary": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if bool((labels < 0).any()) or bool((labels > num_classes).any()):
        raise ValueError(f"labels must lie in [0, {num_classes}]")
    classes = torch.arange(num_classes, device=labels.device)
    return (labels[:, None] == classes).to(torch.float32)
''',
            "integer_result": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if bool((labels < 0).any()) or bool((labels >= num_classes).any()):
        raise ValueError(f"labels must lie in [0, {num_classes})")
    classes = torch.arange(num_classes, device=labels.device)
    return (labels[:, None] == classes).long()
''',
            "loops_over_labels": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if bool((labels < 0).any()) or bool((labels >= num_classes).any()):
        raise ValueError(f"labels must lie in [0, {num_classes})")
    out = torch.zeros(len(labels), num_classes, device=labels.device)
    for i, label in enumerate(labels.tolist()):
        out[i, label] = 1.0
    return out
''',
            "library_one_hot": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if bool((labels < 0).any()) or bool((labels >= num_classes).any()):
        raise ValueError(f"labels must lie in [0, {num_classes})")
    return torch.nn.functional.one_hot(labels.long(), num_classes).float()
''',
            "library_one_hot_imported": '''
from torch.nn.functional import one_hot as library_one_hot


def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if bool((labels < 0).any()) or bool((labels >= num_classes).any()):
        raise ValueError(f"labels must lie in [0, {num_classes})")
    return library_one_hot(labels.long(), num_classes).float()
''',
            "assert_instead_of_value_error": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    assert bool(((labels >= 0) & (labels < num_classes)).all()), "label out of range"
    classes = torch.arange(num_classes, device=labels.device)
    return (labels[:, None] == classes).to(torch.float32)
''',
        },
        "correct": {
            "rows_of_the_identity": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if labels.min().item() < 0 or labels.max().item() >= num_classes:
        raise ValueError("every label must be in 0 .. num_classes - 1")
    return torch.eye(num_classes, dtype=torch.float32, device=labels.device)[labels.long()]
''',
            "scatter_of_ones": '''
def one_hot(labels, num_classes):
    """One-hot rows (n, num_classes) of float32 for integer `labels` of shape (n,)."""
    if not bool(((labels >= 0) & (labels < num_classes)).all()):
        raise ValueError(f"labels out of range for {num_classes} classes")
    out = torch.zeros(labels.shape[0], num_classes, device=labels.device)
    return out.scatter_(1, labels.long().unsqueeze(1), 1.0)
''',
        },
    },
    "task4_standardize": {
        "wrong": {
            "sample_std": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    mean = x.mean(dim=0, keepdim=True)
    std = x.std(dim=0, keepdim=True)
    safe_std = torch.where(std > 0, std, torch.ones_like(std))
    return (x - mean) / safe_std
''',
            "hard_coded_visible": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    if tuple(x.shape) == (2, 2):
        return torch.tensor([[-1.0, -1.0], [1.0, 1.0]])
    return x - x.mean(dim=0, keepdim=True)
''',
            "epsilon_in_the_denominator": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    mean = x.mean(dim=0, keepdim=True)
    std = x.std(dim=0, correction=0, keepdim=True)
    return (x - mean) / (std + 1e-8)
''',
            "no_zero_std_guard": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    mean = x.mean(dim=0, keepdim=True)
    std = x.std(dim=0, correction=0, keepdim=True)
    return (x - mean) / std
''',
            "small_std_treated_as_zero": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    mean = x.mean(dim=0, keepdim=True)
    std = x.std(dim=0, correction=0, keepdim=True)
    return (x - mean) / torch.where(std < 1e-6, torch.ones_like(std), std)
''',
            "standardizes_rows": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    mean = x.mean(dim=1, keepdim=True)
    std = x.std(dim=1, correction=0, keepdim=True)
    return (x - mean) / torch.where(std > 0, std, torch.ones_like(std))
''',
            "changes_x_in_place": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    std = x.std(dim=0, correction=0, keepdim=True)
    x -= x.mean(dim=0, keepdim=True)
    x /= torch.where(std > 0, std, torch.ones_like(std))
    return x
''',
            "loops_over_columns": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    columns = []
    for j in range(x.shape[1]):
        col = x[:, j]
        std = col.std(correction=0)
        columns.append((col - col.mean()) / std if std > 0 else col - col.mean())
    return torch.stack(columns, dim=1)
''',
            "always_float32": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    x = x.float()
    std = x.std(dim=0, correction=0, keepdim=True)
    return (x - x.mean(dim=0, keepdim=True)) / torch.where(std > 0, std, torch.ones_like(std))
''',
        },
        "correct": {
            "var_mean_then_sqrt": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    var, mean = torch.var_mean(x, dim=0, correction=0)
    std = var.sqrt()
    std = std.masked_fill(std == 0, 1.0)
    return (x - mean) / std
''',
            "nan_to_zero": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    centred = x - x.mean(0)
    std = torch.sqrt((centred**2).mean(0))
    return torch.nan_to_num(centred / std, nan=0.0)
''',
            "unbiased_false": '''
def standardize_columns(x):
    """Each column of `x` (n, d) shifted to mean 0 and scaled to (population) std 1."""
    std = x.std(0, unbiased=False, keepdim=True)
    std[std == 0] = 1.0
    return (x - x.mean(0, keepdim=True)) / std
''',
        },
    },
}
