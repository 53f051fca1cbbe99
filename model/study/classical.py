"""The classical (scikit-learn) digit classifiers and their features: pixels, PCA, HOG.

Every pipeline here takes uint8 (N, 28, 28) MNIST images, white on black, like
`Predictor.predict_batch`, so the comparison feeds all models the same arrays.
"""

import cv2
import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC, LinearSVC

PCA_COMPONENTS = 50
HOG_CELL = 7
HOG_BINS = 12
KNN_CANDIDATES = (1, 3, 5, 7, 9)


def scaled_pixels(images):
    """Flattens uint8 (N, 28, 28) images to float32 (N, 784) pixels in 0-1."""
    images = np.asarray(images)
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def deskew(images):
    """Straightens slanted digits: a shear that makes each digit's second moments upright.

    Args:
        images: uint8 (N, 28, 28).

    Returns:
        uint8 (N, 28, 28), each image sheared about the image centre.
    """
    images = np.asarray(images)
    straight = np.empty_like(images)
    for index, image in enumerate(images):
        moments = cv2.moments(image)
        if abs(moments["mu02"]) < 1e-2:
            straight[index] = image
            continue
        skew = moments["mu11"] / moments["mu02"]
        shear = np.float32([[1, skew, -0.5 * image.shape[0] * skew], [0, 1, 0]])
        straight[index] = cv2.warpAffine(
            image, shear, image.shape[::-1], flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR
        )
    return straight


def hog_features(images, cell=HOG_CELL, bins=HOG_BINS, chunk=4096):
    """Histograms of oriented gradients (Dalal and Triggs) of 28x28 digits.

    Signed gradient directions (a stroke's two sides differ) vote, weighted by gradient
    magnitude and split between the two nearest of `bins` directions, into `cell` x `cell`
    cells; each 2x2 block of cells is L2-normalised, clipped at 0.2 and normalised again.
    OpenCV 5 has no HOGDescriptor, hence this NumPy version.

    Args:
        images: uint8 (N, H, W); H and W multiples of `cell`.
        cell: cell size in pixels.
        bins: direction bins over 360 degrees.
        chunk: images per step (bounds the memory used).

    Returns:
        float32 (N, blocks * 4 * bins): 432 features for 28x28 images with the defaults.

    Raises:
        ValueError: the image size is not a multiple of the cell size.
    """
    images = np.asarray(images, dtype=np.float32) / 255.0
    height, width = images.shape[1:]
    if height % cell or width % cell:
        raise ValueError(f"images of {height}x{width} do not split into {cell}-pixel cells")
    features = []
    for start in range(0, len(images), chunk):
        batch = images[start : start + chunk]
        count = len(batch)
        padded = np.pad(batch, ((0, 0), (1, 1), (1, 1)), mode="edge")
        gradient_x = padded[:, 1:-1, 2:] - padded[:, 1:-1, :-2]
        gradient_y = padded[:, 2:, 1:-1] - padded[:, :-2, 1:-1]
        magnitude = np.hypot(gradient_x, gradient_y)
        direction = np.mod(np.arctan2(gradient_y, gradient_x), 2 * np.pi)
        position = direction / (2 * np.pi / bins) - 0.5
        lower = np.floor(position)
        upper_share = position - lower
        votes = np.zeros((count, height, width, bins), np.float32)
        pixel = tuple(np.indices((count, height, width)))
        np.add.at(votes, (*pixel, np.mod(lower, bins).astype(int)), magnitude * (1 - upper_share))
        np.add.at(votes, (*pixel, np.mod(lower + 1, bins).astype(int)), magnitude * upper_share)
        cells = votes.reshape(count, height // cell, cell, width // cell, cell, bins).sum((2, 4))
        rows, columns = cells.shape[1:3]
        blocks = np.stack(
            [
                cells[:, row : row + 2, column : column + 2].reshape(count, -1)
                for row in range(rows - 1)
                for column in range(columns - 1)
            ],
            axis=1,
        )
        blocks /= np.sqrt((blocks**2).sum(axis=-1, keepdims=True) + 1e-6)
        blocks = np.minimum(blocks, 0.2)
        blocks /= np.sqrt((blocks**2).sum(axis=-1, keepdims=True) + 1e-6)
        features.append(blocks.reshape(count, -1))
    return np.concatenate(features) if features else np.zeros((0, 0), np.float32)


def deskewed_hog_features(images):
    """HOG features of the deskewed images: the features the HOG + SVM model sees."""
    return hog_features(deskew(images))


def _pixels():
    return FunctionTransformer(scaled_pixels)


def logistic_regression():
    """Multinomial logistic regression on the 784 pixels scaled to 0-1."""
    return make_pipeline(_pixels(), LogisticRegression(C=0.1, max_iter=300))


def linear_svm():
    """A linear SVM (one-vs-rest) on the pixels scaled to 0-1."""
    return make_pipeline(_pixels(), LinearSVC(C=0.1, dual=False))


def rbf_svm(seed):
    """An SVM with an RBF kernel on the first 50 principal components of the pixels."""
    return make_pipeline(
        _pixels(), PCA(PCA_COMPONENTS, random_state=seed), SVC(C=10.0, gamma="scale")
    )


def random_forest(seed, trees=200, jobs=2):
    """A random forest of `trees` fully grown trees on the raw pixels."""
    return make_pipeline(
        _pixels(), RandomForestClassifier(n_estimators=trees, n_jobs=jobs, random_state=seed)
    )


def knn(neighbours, seed):
    """k nearest neighbours, distance-weighted, on the first 50 principal components."""
    return make_pipeline(
        _pixels(),
        PCA(PCA_COMPONENTS, random_state=seed),
        KNeighborsClassifier(neighbours, weights="distance"),
    )


def hog_svm():
    """An SVM with an RBF kernel on HOG features of deskewed digits."""
    return make_pipeline(FunctionTransformer(deskewed_hog_features), SVC(C=10.0, gamma="scale"))


def choose_neighbours(x_train, y_train, x_val, y_val, seed, candidates=KNN_CANDIDATES):
    """Picks k for k-NN by accuracy on the validation split (PCA fitted once, on training).

    Args:
        x_train, y_train: training images (uint8 (N, 28, 28)) and labels.
        x_val, y_val: the validation split; the test set is never used to choose.
        seed: seed of the PCA.
        candidates: the values of k to try.

    Returns:
        (best k, {k: validation accuracy}); the smallest k wins a tie.
    """
    projection = make_pipeline(_pixels(), PCA(PCA_COMPONENTS, random_state=seed)).fit(x_train)
    train_features, val_features = projection.transform(x_train), projection.transform(x_val)
    accuracies = {}
    for neighbours in candidates:
        if neighbours > len(x_train):
            break
        classifier = KNeighborsClassifier(neighbours, weights="distance").fit(
            train_features, y_train
        )
        accuracies[neighbours] = float((classifier.predict(val_features) == y_val).mean())
    best = max(accuracies, key=lambda neighbours: (accuracies[neighbours], -neighbours))
    return best, accuracies
