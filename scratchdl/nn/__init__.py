"""Gradient-trained building blocks with explicit forward and backward passes.

Every layer follows the protocol of :class:`Module`: ``forward(x)`` caches what
``backward(dout)`` needs; ``backward`` returns dL/dx and adds the parameter gradients into
``grads``. Names, shapes and defaults follow ``torch.nn``.
"""

from scratchdl.nn.activation import ELU, GELU, Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from scratchdl.nn.attention import MultiheadAttention, scaled_dot_product_attention
from scratchdl.nn.container import Sequential
from scratchdl.nn.conv import Conv1d, Conv2d
from scratchdl.nn.conv_transpose import ConvTranspose2d
from scratchdl.nn.dropout import Dropout
from scratchdl.nn.embedding import Embedding
from scratchdl.nn.flatten import Flatten, Unflatten
from scratchdl.nn.graph import GATConv, GCNConv, SAGEConv
from scratchdl.nn.layer_norm import LayerNorm
from scratchdl.nn.linear import Linear
from scratchdl.nn.module import Module
from scratchdl.nn.normalization import BatchNorm1d, BatchNorm2d
from scratchdl.nn.pooling import (
    AvgPool1d,
    AvgPool2d,
    GlobalAvgPool1d,
    GlobalAvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from scratchdl.nn.positional import LearnedPositionalEmbedding, SinusoidalPositionalEncoding
from scratchdl.nn.recurrent import GRU, LSTM, RNN
from scratchdl.nn.transformer import TransformerDecoderLayer, TransformerEncoderLayer
from scratchdl.nn.utils import clip_grad_norm_, truncated_bptt

__all__ = [
    "Module",
    "Sequential",
    "Linear",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "Sigmoid",
    "Tanh",
    "GELU",
    "Identity",
    "Dropout",
    "BatchNorm1d",
    "Embedding",
    "RNN",
    "LSTM",
    "GRU",
    "clip_grad_norm_",
    "truncated_bptt",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "GlobalAvgPool1d",
    "GlobalAvgPool2d",
    "Flatten",
    "GCNConv",
    "SAGEConv",
    "GATConv",
    "Unflatten",
    "LayerNorm",
    "MultiheadAttention",
    "scaled_dot_product_attention",
    "SinusoidalPositionalEncoding",
    "LearnedPositionalEmbedding",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
]
