"""Complete models, of two kinds: estimators not trained by backpropagation, in
scikit-learn's style (``fit``, ``predict``, ``score``), and composite Modules assembled
from :mod:`scratchdl.nn` and trained by backpropagation (the recurrent sequence models and
the GPT).

* self-organizing map (chapter 02): :class:`SOM`, and :class:`KMeans`, its limit
* graph-based semi-supervised learning (chapter 03): :class:`LabelPropagation`,
  :class:`LabelSpreading`; pseudo-labeling with :class:`SelfTrainingClassifier`
* recurrent sequence models (chapters 05, 06), composite Modules:
  :class:`SequenceClassifier`, :class:`CharLanguageModel`; the character-model recipe
  shared with chapter 11 is in :mod:`scratchdl.models.sequence`
* restricted Boltzmann machines and deep belief networks (chapter 09):
  :class:`BernoulliRBM`, :class:`DBN`
* the Transformer (chapter 11): :class:`GPT`, a decoder-only language model with
  sampling and a key-value cache
* kernel networks (chapter 04): :class:`GRNN` (with :func:`loo_mse`) and :class:`PNN`
"""

from scratchdl.models.dbn import DBN
from scratchdl.models.gpt import GPT
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
