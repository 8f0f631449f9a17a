"""Models that are not trained by backpropagation alone, as scikit-learn-style estimators.

* self-organizing map (chapter 02): :class:`SOM`, and :class:`KMeans`, its limit
* graph-based semi-supervised learning (chapter 03): :class:`LabelPropagation`,
  :class:`LabelSpreading`; pseudo-labeling with :class:`SelfTrainingClassifier`
* recurrent sequence models (chapters 05, 06), Modules built from :mod:`scratchdl.nn`:
  :class:`SequenceClassifier`, :class:`CharLanguageModel`
* restricted Boltzmann machines and deep belief networks (chapter 09):
  :class:`BernoulliRBM`, :class:`DBN`
* the Transformer (chapter 11): :class:`GPT`, a decoder-only language model with
  sampling and a key-value cache
* kernel networks (chapter 04): :class:`GRNN` (with :func:`loo_mse`) and :class:`PNN`
"""

from scratchdl.models.gpt import GPT
from scratchdl.models.dbn import DBN
from scratchdl.models.grnn import GRNN, PNN, loo_mse
from scratchdl.models.kmeans import KMeans
from scratchdl.models.label_propagation import LabelPropagation, LabelSpreading
from scratchdl.models.rbm import BernoulliRBM
from scratchdl.models.self_training import SelfTrainingClassifier
from scratchdl.models.sequence import CharLanguageModel, SequenceClassifier
from scratchdl.models.som import SOM

__all__ = [
    "BernoulliRBM",
    "DBN",
    "CharLanguageModel",
    "SequenceClassifier",
    "GPT",
    "GRNN",
    "KMeans",
    "LabelPropagation",
    "LabelSpreading",
    "PNN",
    "SOM",
    "SelfTrainingClassifier",
    "loo_mse",
]
