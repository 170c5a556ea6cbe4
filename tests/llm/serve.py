"""`python -m llama_cpp.server …` with llama.cpp's extra CPU buffer types off.

llama-cpp-python 0.3.36 has no option for it, and on CPUs that report AMX (as the CI and
development machines do) its AMX matrix multiply crashes the server (SIGSEGV) at the first
completion. The server, its arguments and the model are otherwise the same.
"""

from __future__ import annotations

import runpy

import llama_cpp.llama_cpp as llama_lib

_default_params = llama_lib.llama_model_default_params


def _model_params() -> object:
    params = _default_params()
    params.use_extra_bufts = False  # no AMX/repacked weight buffers
    return params


llama_lib.llama_model_default_params = _model_params

if __name__ == "__main__":
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
