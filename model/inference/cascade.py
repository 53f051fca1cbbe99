"""An ensemble run member by member: the first member answers alone when it is sure.

The members of the bundled model agree on almost every digit; running the second one only
for the few digits the first doubts gives the ensemble's answers at about the cost of one
network. Pure numpy: the members are passed in as functions.
"""

import numpy as np

from model import config


def first_is_final(probabilities, confidence=config.CASCADE_CONFIDENCE):
    """(N,) bool: where the first member's softmax (N, 10) is the ensemble's answer."""
    return probabilities.max(axis=1) >= confidence


def run_members(members, batch, confidence=config.CASCADE_CONFIDENCE):
    """(probabilities, is_digit) of an ensemble, running later members only where needed.

    Args:
        members: functions from a float32 (N, 28, 28, 1) batch to (probabilities (N, 10),
            is_digit (N,)); only the first member's is_digit (the gate) is used.
        batch: the images.
        confidence: the first member's answer is kept where its top probability reaches this.

    Returns:
        The first member's probabilities where it is sure, elsewhere the mean of all the
        members' probabilities; and the gate's is_digit.
    """
    probabilities, is_digit = members[0](batch)
    if len(members) == 1:
        return probabilities, is_digit
    doubtful = np.flatnonzero(~first_is_final(probabilities, confidence))
    if len(doubtful):
        probabilities = np.array(probabilities, dtype=np.float32)
        subset = batch[doubtful]
        total = probabilities[doubtful]
        for member in members[1:]:
            total = total + member(subset)[0]
        probabilities[doubtful] = total / np.float32(len(members))
    return probabilities, is_digit
