"""Weighted k-nearest-neighbour classification on frozen features (DISCOVR's protocol, DINO's kNN).

Cosine similarity between L2-normalised features; each of the k most similar bank items votes for
its class with weight exp(similarity / T). A vote tie goes to the lower class index (argmax's first
maximum), so results never depend on the order of the bank.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def knn_predict(
    bank: np.ndarray,
    bank_labels: np.ndarray,
    queries: np.ndarray,
    *,
    k: int,
    temperature: float,
    num_classes: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(predicted class per query, (queries, num_classes) vote shares). A k larger than the bank uses
    the whole bank."""
    if k < 1 or temperature <= 0:
        raise ValueError(f"kNN needs k >= 1 and temperature > 0, got k={k}, temperature={temperature}")
    if len(bank) == 0:
        raise ValueError("kNN needs a non-empty bank")
    bank_t = F.normalize(torch.as_tensor(bank, dtype=torch.float64), dim=1)
    query_t = F.normalize(torch.as_tensor(queries, dtype=torch.float64), dim=1)
    similarity = query_t @ bank_t.T
    top, index = similarity.topk(min(k, len(bank)), dim=1)
    # Subtracting each row's largest similarity leaves the shares unchanged and exp() finite.
    weights = torch.exp((top - top[:, :1]) / temperature)
    labels = torch.as_tensor(bank_labels, dtype=torch.long)[index]
    votes = torch.zeros(len(queries), num_classes, dtype=torch.float64).scatter_add_(1, labels, weights)
    shares = votes / votes.sum(1, keepdim=True)
    return votes.argmax(1).numpy(), shares.numpy()
